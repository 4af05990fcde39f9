/* settings_test.c — both file forms, every kind of wrong form, and the CIDR matcher. */
#include "app/settings.h"
#include "base/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char err[1024];

static int load(const char *text, struct settings *s)
{
    err[0] = 0;
    return settings_load_text(text, "/tmp", s, err, sizeof err);
}

#define BASE "\"enc_password\": {\"value\": \"pw\"}, \"disk_path\": {\"value\": \"/tmp/x\"}"

Test(settings, valid_file_gets_defaults)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"https_port\": {\"value\": \"8443\"}}", &s), 0, "%s", err);
    cr_assert_str_eq(settings_str(&s, SETTING_HOSTNAME), "localhost:8443");
    cr_assert_str_eq(settings_str(&s, SETTING_PRODUCTION_TYPE), "disk");
    cr_assert_eq(settings_int(&s, SETTING_HTTPS_PORT), 8443);
    cr_assert_eq(settings_flag(&s, SETTING_ENABLE_ACTIVE_ACTIVE), false);
    settings_free(&s);
}

Test(settings, number_instead_of_string_names_the_key)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"https_port\": {\"value\": 8443}}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "\"https_port\""), "%s", err);
    cr_assert(strstr(err, "string"), "%s", err);
}

Test(settings, plain_value_instead_of_object)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"hostname\": \"tfe.example.com\"}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "\"hostname\"") && strstr(err, "{\"value\""), "%s", err);
}

Test(settings, flag_must_be_one_or_zero)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"enable_active_active\": {\"value\": \"yes\"}}", &s),
                 ERR_CONFIG);
    cr_assert(strstr(err, "enable_active_active") && strstr(err, "\"1\" or \"0\""), "%s", err);
}

Test(settings, active_active_needs_external_services)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"enable_active_active\": {\"value\": \"1\"}}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "production_type"), "%s", err);
}

Test(settings, enc_password_is_required)
{
    struct settings s;
    cr_assert_eq(load("{\"disk_path\": {\"value\": \"/tmp/x\"}}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "enc_password"), "%s", err);
}

Test(settings, bad_port_and_cidr)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"https_port\": {\"value\": \"99999\"}}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "https_port"));
    cr_assert_eq(load("{" BASE ", \"iact_subnet_list\": {\"value\": \"10.0.0.0/33\"}}", &s),
                 ERR_CONFIG);
    cr_assert(strstr(err, "iact_subnet_list"));
    cr_assert_eq(load("{" BASE ", \"trusted_proxies\": {\"value\": \"10.0.1.5/32,lb\"}}", &s),
                 ERR_CONFIG);
    cr_assert(strstr(err, "trusted_proxies"));
}

Test(settings, unknown_keys_are_accepted)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"installation_type\": {\"value\": \"production\"}}", &s), 0,
                 "%s", err);
    settings_free(&s);
}

Test(settings, malformed_json)
{
    struct settings s;
    cr_assert_eq(load("{\"hostname\": ", &s), ERR_CONFIG);
    cr_assert(strstr(err, "not valid JSON"), "%s", err);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

Test(settings, installer_imports_settings_and_maps_tls)
{
    char dir[] = "/tmp/strata-settings-XXXXXX";
    cr_assert(mkdtemp(dir));
    char app[300], inst[300];
    snprintf(app, sizeof app, "%s/ptfe-settings.json", dir);
    snprintf(inst, sizeof inst, "%s/replicated.conf", dir);
    write_file(app, "{" BASE "}");
    char text[1024];
    snprintf(text, sizeof text,
             "{\"ImportSettingsFrom\": \"ptfe-settings.json\", \"ReleaseSequence\": %d, "
             "\"TlsBootstrapType\": \"server-path\", \"TlsBootstrapCert\": \"/c.pem\", "
             "\"TlsBootstrapKey\": \"/k.pem\", \"DaemonAuthenticationType\": \"password\"}",
             STRATA_RELEASE_SEQUENCE);
    write_file(inst, text);
    struct settings s;
    cr_assert_eq(settings_load(inst, &s, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(settings_str(&s, SETTING_TLS_CERT_FILE), "/c.pem");
    cr_assert_str_eq(settings_str(&s, SETTING_TLS_KEY_FILE), "/k.pem");
    cr_assert_str_eq(settings_str(&s, SETTING_ENC_PASSWORD), "pw");
    settings_free(&s);
    unlink(app);
    unlink(inst);
    rmdir(dir);
}

Test(settings, installer_release_sequence_mismatch_refuses)
{
    struct settings s;
    cr_assert_eq(load("{\"ReleaseSequence\": 504}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "ReleaseSequence") && strstr(err, "504"), "%s", err);
    cr_assert_eq(load("{\"ReleaseSequence\": \"1\"}", &s), ERR_CONFIG);
    cr_assert(strstr(err, "integer"), "%s", err);
}

Test(settings, cidr_matching)
{
    const char *list = "127.0.0.1/32, 10.0.0.0/8,::1/128";
    cr_assert(settings_cidr_match(list, "127.0.0.1"));
    cr_assert(settings_cidr_match(list, "::ffff:127.0.0.1"));
    cr_assert(settings_cidr_match(list, "10.200.3.4"));
    cr_assert(settings_cidr_match(list, "::1"));
    cr_assert_not(settings_cidr_match(list, "11.0.0.1"));
    cr_assert_not(settings_cidr_match(list, "::2"));
    cr_assert_not(settings_cidr_match("", "127.0.0.1"));
}

Test(settings, port_lists_are_checked)
{
    struct settings s;
    cr_assert_eq(load("{" BASE ", \"run_host_ports\": {\"value\": \"2222,8080\"}}", &s), 0, "%s",
                 err);
    cr_assert_str_eq(settings_str(&s, SETTING_RUN_HOST_PORTS), "2222,8080");
    settings_free(&s);
    cr_assert_neq(load("{" BASE ", \"run_host_ports\": {\"value\": \"22,ssh\"}}", &s), 0);
    cr_assert(strstr(err, "run_host_ports"), "%s", err);
    cr_assert_neq(load("{" BASE ", \"run_host_ports\": {\"value\": \"70000\"}}", &s), 0);
    cr_assert_neq(load("{" BASE ", \"allowed_internal_cidrs\": {\"value\": \"10.0.0.0/33\"}}", &s),
                  0);
}
