/* run_origin.c — which client creates a run, read from the request that creates it: its
 * `source` and default `message` as TFE answers them, and whether the client renders
 * terraform's JSON log lines itself (structured run output) or prints the log as it comes.
 * Verified in terraform's source (v1.11.4): the `cloud` integration sends
 * "X-Terraform-Integration: cloud" on every request (internal/cloud/backend.go) and renders
 * JSON lines; the `remote` backend sends no such header (internal/backend/remote/backend.go)
 * and prints each log line as it is, stripping colour codes itself under -no-color
 * (internal/backend/remote/colorize.go). Both send "Terraform-Version: <version>". */
#include "runs/run_int.h"

#include <stdio.h>
#include <strings.h>

/* The terraform version a CLI request names (Terraform-Version, else the User-Agent
 * "Terraform/<version>"): true with major and minor, false when it names none. */
static bool cli_version(struct ctx *c, int *major, int *minor)
{
    const char *v = http_req_header(c->req, "Terraform-Version");
    if (v && sscanf(v, "%d.%d", major, minor) == 2) return true;
    const char *ua = http_req_header(c->req, "User-Agent");
    return ua && sscanf(ua, "Terraform/%d.%d", major, minor) == 2;
}

void run_origin_of(struct ctx *c, struct run_origin *o)
{
    *o = (struct run_origin){"tfe-api", "Triggered via API", true};
    if (!c->req) return;
    if (c->csrf) { /* a browser session of the web UI (app/api.c) */
        *o = (struct run_origin){"tfe-ui", "Triggered via UI", true};
        return;
    }
    int major = 0, minor = 0;
    bool cli = cli_version(c, &major, &minor);
    const char *integration = http_req_header(c->req, "X-Terraform-Integration");
    if (integration && strcasecmp(integration, "cloud") == 0) {
        /* the cloud integration renders JSON lines from terraform 1.3 on; before, it printed
         * them as they are */
        bool renders = !cli || major > 1 || (major == 1 && minor >= 3);
        *o = (struct run_origin){"terraform+cloud", "Triggered via CLI", renders};
    } else if (cli) {
        /* the remote backend never renders: its runs keep the plain, human log */
        *o = (struct run_origin){"terraform", "Triggered via CLI", false};
    }
}
