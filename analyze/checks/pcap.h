/* SPDX-License-Identifier: Apache-2.0 */
/* What the PCAP family lends other families' checks (analyze/checks/pcap.c): the
 * capture's facts as evidence beside their own inputs. Pure, like the checks. */
#ifndef ANALYZE_CHECKS_PCAP_H
#define ANALYZE_CHECKS_PCAP_H

#include <stddef.h>

struct bundle;
struct finding;

/* ClientHellos without SNI in captures: *refused gets those answered by a reset,
 * FIN or alert before any ServerHello, *answered those that got a ServerHello;
 * evidence for up to 5 refused ones is added to f; *first_server (may be NULL)
 * gets the server address of the first refused one. */
void pcap_nosni_outcomes(const struct bundle *b, struct finding *f, size_t *refused,
                         size_t *answered, const char **first_server);

/* A note on f when captures show ClientHellos without SNI refused (SNI-001). */
void pcap_nosni_note(const struct bundle *b, struct finding *f);

/* Alerts 48 unknown_ca (the client does not trust the served chain) in captures:
 * evidence on f, and their count. */
size_t pcap_unknown_ca(const struct bundle *b, struct finding *f);

#endif
