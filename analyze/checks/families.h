/* SPDX-License-Identifier: Apache-2.0 */
/* The table of check families, in run and report order: one row per family.
 *
 *   CHECK_FAMILY(name, ID, label, title, symptom)
 *     name     C name: analyze/checks/<name>.c defines `check_rows_<name>`
 *     ID       the ID prefix of its checks, as in spec/checks.md ("SNI" for SNI-001)
 *     label    what a reader calls these checks ("Apigee X checks: not applicable")
 *     title    what the family diagnoses, printed beside the ID in the report
 *     symptom  true for the family of client-side symptoms the report opens with
 *              (exactly one family; the others are causes)
 *
 * analyze/checks.h includes this file to declare each family's rows and
 * analyze/checks.c includes it to build the registry; nothing else names a family.
 * Adding a family: one row here, its file analyze/checks/<name>.c (a rows table
 * ending in `CHECK_ROWS(name, table)`), that file in analyze/meson.build.
 * No include guard: it is included once per expansion of CHECK_FAMILY. */
CHECK_FAMILY(sni, "SNI", "SNI", "connection reset for non-SNI clients", false)
CHECK_FAMILY(tls, "TLS", "TLS", "API calls fail with TLS errors", false)
CHECK_FAMILY(xlb, "XLB", "Apigee X", "external clients cannot reach Apigee", false)
CHECK_FAMILY(pcap, "PCAP", "Packet capture", "what the packets show", false)
CHECK_FAMILY(curl, "CURL", "Client", "the client-side symptom", true)
