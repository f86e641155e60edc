/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the network arithmetic of core/ingest_gcp.c: IPv4 CIDR coverage
 * and VPC network names written in their several forms. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gcp.h"

static bool covers(const char *outer, const char *inner)
{
	struct cidr4 o, i;

	assert_int_equal(cidr4_parse(outer, &o), 0);
	assert_int_equal(cidr4_parse(inner, &i), 0);
	return cidr4_covers(&o, &i);
}

static bool overlaps(const char *x, const char *y)
{
	struct cidr4 a, b;

	assert_int_equal(cidr4_parse(x, &a), 0);
	assert_int_equal(cidr4_parse(y, &b), 0);
	return cidr4_overlaps(&a, &b);
}

static void test_cidr_parse(void **state)
{
	struct cidr4 c;

	(void)state;
	assert_int_equal(cidr4_parse("130.211.0.0/22", &c), 0);
	assert_int_equal(c.len, 22);
	assert_int_equal(c.addr, 0x82d30000u);
	/* host bits are masked off */
	assert_int_equal(cidr4_parse("35.191.7.9/16", &c), 0);
	assert_int_equal(c.addr, 0x23bf0000u);
	/* a bare address is a /32 */
	assert_int_equal(cidr4_parse("169.254.169.254", &c), 0);
	assert_int_equal(c.len, 32);
	assert_int_equal(cidr4_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.len, 0);
	assert_int_equal(cidr4_parse("256.0.0.0/8", &c), -EINVAL);
	assert_int_equal(cidr4_parse("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(cidr4_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(cidr4_parse("10.0.0/8", &c), -EINVAL);
	assert_int_equal(cidr4_parse("10.0.0.0/8x", &c), -EINVAL);
	assert_int_equal(cidr4_parse("2600:2d00::/28", &c), -EINVAL);
	assert_int_equal(cidr4_parse("", &c), -EINVAL);
	assert_int_equal(cidr4_parse(NULL, &c), -EINVAL);
}

static void test_cidr_cover(void **state)
{
	(void)state;
	assert_true(covers("130.211.0.0/16", "130.211.0.0/22"));
	assert_true(covers("130.211.0.0/22", "130.211.0.0/22"));
	assert_true(covers("0.0.0.0/0", "35.191.0.0/16"));
	assert_false(covers("130.211.0.0/22", "130.211.0.0/16"));
	assert_false(covers("130.211.4.0/22", "130.211.0.0/22"));
	assert_false(covers("35.191.0.0/17", "35.191.0.0/16"));
	assert_false(covers("130.211.0.0/23", "130.211.0.0/22"));
	assert_true(covers("35.191.0.0/16", "35.191.193.100"));
	/* a deny over part of the range touches it */
	assert_true(overlaps("35.191.0.0/17", "35.191.0.0/16"));
	assert_true(overlaps("0.0.0.0/0", "130.211.0.0/22"));
	assert_false(overlaps("130.211.4.0/22", "130.211.0.0/22"));
	assert_false(overlaps("10.0.0.0/8", "35.191.0.0/16"));
}

static void test_network_same(void **state)
{
	static const char *const forms[] = {
		"default",
		"global/networks/default",
		"projects/p1/global/networks/default",
		"https://www.googleapis.com/compute/v1/projects/p1/global/networks/default",
		"https://compute.googleapis.com/compute/v1/projects/p1/global/networks/default",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
			assert_true(gcp_network_same(forms[i], forms[k]));
	/* Shared VPC: the same name in another project is another network */
	assert_false(gcp_network_same("projects/host/global/networks/shared",
	                              "https://www.googleapis.com/compute/v1/projects/svc/global/"
	                              "networks/shared"));
	assert_true(gcp_network_same("projects/host/global/networks/shared", "shared"));
	assert_false(gcp_network_same("default", "defaults"));
	assert_false(gcp_network_same("projects/p1/global/networks/apigee-vpc",
	                              "projects/p1/global/networks/apigee"));
	assert_false(gcp_network_same("", ""));
	assert_true(gcp_network_same("projects/networks/global/networks/vpc1", "vpc1"));
	assert_false(gcp_network_same("projects/networks/global/networks/vpc1", "networks"));
	assert_true(gcp_network_same("networks/vpc1", "vpc1"));
	/* services vpc-peerings list names the project by number */
	assert_true(gcp_network_same("projects/123456789/global/networks/vpc1",
	                             "projects/acme-x/global/networks/vpc1"));
	assert_false(gcp_network_same("projects/123/global/networks/vpc1",
	                              "projects/456/global/networks/vpc1"));
	assert_false(gcp_network_same(NULL, "default"));
}

static void test_short_name(void **state)
{
	(void)state;
	assert_string_equal(
	        gcp_short_name("https://www.googleapis.com/compute/v1/projects/p/global/"
	                       "sslCertificates/cert1"),
	        "cert1");
	assert_string_equal(gcp_short_name("cert1"), "cert1");
	assert_null(gcp_short_name(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_cover),
		cmocka_unit_test(test_network_same),
		cmocka_unit_test(test_short_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
