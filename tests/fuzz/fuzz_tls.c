/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the TLS record and handshake parser (core/tlsparse.c): the input is one
 * direction of a TCP stream, fed in pieces whose sizes come from the first byte;
 * every complete handshake message goes to the ClientHello, ServerHello and
 * Certificate parsers, as does the whole input. */
#include <stddef.h>
#include <stdint.h>

#include "pem.h"
#include "tlsparse.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_hs(void *ud, uint8_t type, const uint8_t *body, size_t len)
{
	struct tls_hello h;
	const uint8_t *der;
	size_t n;

	(void)ud;
	if (type == TLS_HS_CLIENT_HELLO)
		(void)tls_parse_client_hello(body, len, &h);
	else if (type == TLS_HS_SERVER_HELLO)
		(void)tls_parse_server_hello(body, len, &h);
	else if (type == TLS_HS_CERTIFICATE && tls_parse_certificate(body, len, &der, &n) == 0) {
		struct cert_facts f;

		if (cert_facts_from_der(der, n, &f, NULL) == 0)
			cert_facts_release(&f);
	}
	return 0;
}

static int on_alert(void *ud, uint8_t level, uint8_t desc)
{
	(void)ud;
	(void)level;
	(void)tls_alert_name(desc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tls_events ev = { on_hs, on_alert, NULL };
	struct tls_dir d;
	struct tls_hello h;
	const uint8_t *der;
	size_t step, n;

	if (size < 1 || size > (1u << 20))
		return 0;
	step = (size_t)data[0] + 1;
	data++;
	size--;
	(void)tls_parse_client_hello(data, size, &h);
	(void)tls_parse_server_hello(data, size, &h);
	(void)tls_parse_certificate(data, size, &der, &n);
	tls_dir_init(&d);
	for (size_t off = 0; off < size; off += step)
		(void)tls_dir_feed(&d, data + off, size - off < step ? size - off : step, &ev,
		                   NULL);
	tls_dir_release(&d);
	return 0;
}
