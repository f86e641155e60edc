/* SPDX-License-Identifier: Apache-2.0 */
/* The class of a certificate verification result: one place decides what an
 * OpenSSL verify code or a TLS client's error text means, for every reader
 * (s_client and curl transcripts, collector probes). Codes are OpenSSL's
 * X509_V_ERR_* numbers; texts are the messages curl prints with OpenSSL,
 * LibreSSL, NSS, Schannel and Secure Transport. */
#include <stddef.h>
#include <string.h>

#include "model.h"
#include "text.h"

#include "banned.h"

const char *verify_class_name(enum verify_class c)
{
	static const char *const names[] = {
		[VERIFY_UNKNOWN] = "unknown",
		[VERIFY_OK] = "ok",
		[VERIFY_VALIDITY] = "validity",
		[VERIFY_UNTRUSTED_ROOT] = "untrusted-root",
		[VERIFY_MISSING_ISSUER] = "missing-issuer",
		[VERIFY_HOST_MISMATCH] = "host-mismatch",
		[VERIFY_OTHER] = "other",
	};

	if ((size_t)c >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[c];
}

enum verify_class verify_class_from_code(long code)
{
	switch (code) {
	case 0:
		return VERIFY_OK;
	case 9:  /* X509_V_ERR_CERT_NOT_YET_VALID */
	case 10: /* X509_V_ERR_CERT_HAS_EXPIRED */
		return VERIFY_VALIDITY;
	case 18: /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
	case 19: /* X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN */
		return VERIFY_UNTRUSTED_ROOT;
	case 2:  /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT */
	case 20: /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
	case 21: /* X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE */
		return VERIFY_MISSING_ISSUER;
	case 62: /* X509_V_ERR_HOSTNAME_MISMATCH */
		return VERIFY_HOST_MISMATCH;
	default:
		return code < 0 ? VERIFY_UNKNOWN : VERIFY_OTHER;
	}
}

enum verify_class verify_class_from_text(const char *text)
{
	static const struct {
		const char *needle;
		enum verify_class c;
	} map[] = {
		/* OpenSSL / LibreSSL (curl "SSL certificate problem: ...") */
		{ "certificate has expired", VERIFY_VALIDITY },
		{ "certificate is not yet valid", VERIFY_VALIDITY },
		{ "self-signed certificate", VERIFY_UNTRUSTED_ROOT },
		{ "self signed certificate", VERIFY_UNTRUSTED_ROOT },
		{ "unable to get local issuer", VERIFY_MISSING_ISSUER },
		{ "unable to get issuer", VERIFY_MISSING_ISSUER },
		{ "unable to verify the first certificate", VERIFY_MISSING_ISSUER },
		{ "hostname mismatch", VERIFY_HOST_MISMATCH },
		{ "no alternative certificate subject name matches", VERIFY_HOST_MISMATCH },
		{ "does not match target host", VERIFY_HOST_MISMATCH },
		{ "unknown ca", VERIFY_UNTRUSTED_ROOT },
		/* NSS (RHEL/CentOS 7 curl) */
		{ "Peer's Certificate has expired", VERIFY_VALIDITY },
		{ "SEC_ERROR_EXPIRED_CERTIFICATE", VERIFY_VALIDITY },
		{ "-8181", VERIFY_VALIDITY },
		{ "Peer's certificate issuer is not recognized", VERIFY_UNTRUSTED_ROOT },
		{ "Peer's Certificate issuer is not recognized", VERIFY_UNTRUSTED_ROOT },
		{ "SEC_ERROR_UNKNOWN_ISSUER", VERIFY_UNTRUSTED_ROOT },
		{ "-8179", VERIFY_UNTRUSTED_ROOT },
		{ "SEC_ERROR_UNTRUSTED_ISSUER", VERIFY_UNTRUSTED_ROOT },
		{ "-8172", VERIFY_UNTRUSTED_ROOT },
		{ "SSL_ERROR_BAD_CERT_DOMAIN", VERIFY_HOST_MISMATCH },
		{ "-12276", VERIFY_HOST_MISMATCH },
		/* Schannel (Windows curl) */
		{ "SEC_E_CERT_EXPIRED", VERIFY_VALIDITY },
		{ "CERT_TRUST_IS_NOT_TIME_VALID", VERIFY_VALIDITY },
		{ "SEC_E_UNTRUSTED_ROOT", VERIFY_UNTRUSTED_ROOT },
		{ "CERT_TRUST_IS_UNTRUSTED_ROOT", VERIFY_UNTRUSTED_ROOT },
		{ "CERT_E_UNTRUSTEDROOT", VERIFY_UNTRUSTED_ROOT },
		{ "CERT_TRUST_IS_PARTIAL_CHAIN", VERIFY_MISSING_ISSUER },
		{ "CERT_E_CHAINING", VERIFY_MISSING_ISSUER },
		{ "SEC_E_WRONG_PRINCIPAL", VERIFY_HOST_MISMATCH },
		{ "CERT_E_CN_NO_MATCH", VERIFY_HOST_MISMATCH },
		/* Schannel HRESULTs, whatever language the text after them is in */
		{ "0x80090328", VERIFY_VALIDITY },       /* SEC_E_CERT_EXPIRED */
		{ "0x800B0101", VERIFY_VALIDITY },       /* CERT_E_EXPIRED */
		{ "0x80090325", VERIFY_UNTRUSTED_ROOT }, /* SEC_E_UNTRUSTED_ROOT */
		{ "0x800B0109", VERIFY_UNTRUSTED_ROOT }, /* CERT_E_UNTRUSTEDROOT */
		{ "0x800B010A", VERIFY_MISSING_ISSUER }, /* CERT_E_CHAINING */
		{ "0x80090322", VERIFY_HOST_MISMATCH },  /* SEC_E_WRONG_PRINCIPAL */
		{ "0x800B010F", VERIFY_HOST_MISMATCH },  /* CERT_E_CN_NO_MATCH */
		/* GnuTLS (Debian/Ubuntu curl and git) */
		{ "chain uses expired certificate", VERIFY_VALIDITY },
		{ "uses not yet valid certificate", VERIFY_VALIDITY },
		{ "expiration date has passed", VERIFY_VALIDITY },
		{ "activation date is in the future", VERIFY_VALIDITY },
		{ "certificate issuer is unknown", VERIFY_MISSING_ISSUER },
		{ "name in the certificate does not match", VERIFY_HOST_MISMATCH },
		/* Secure Transport (macOS curl) */
		{ "Certificate chain had an expired certificate", VERIFY_VALIDITY },
		{ "Untrusted root certificate", VERIFY_UNTRUSTED_ROOT },
		{ "Invalid certificate chain", VERIFY_MISSING_ISSUER },
	};

	if (!text || !*text)
		return VERIFY_UNKNOWN;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (text_find_ci(text, strlen(text), map[i].needle))
			return map[i].c;
	return VERIFY_OTHER;
}
