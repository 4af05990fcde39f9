/* wiring.c — the one place that lists every route table and connects the hooks that let a
 * lower domain call a higher one. Adding a domain means adding its table here. */
#include "cmd/wiring.h"
#include "admin/iact.h"
#include "admin/terraform_versions.h"
#include "app/app.h"
#include "app/authz.h"
#include "cluster/cluster.h"
#include "http/http.h"
#include "configversions/configversion.h"
#include "meta/meta.h"
#include "runner/runner.h"
#include "runs/run.h"
#include "variables/variable.h"
#include "organizations/organization.h"
#include "registry/registry.h"
#include "state/state.h"
#include "teams/team.h"
#include "admin/admin.h"
#include "web/web.h"
#include "notifications/notification.h"
#include "tokens/token.h"
#include "users/user.h"
#include "workspaces/workspace.h"

void wiring_hooks(struct app *app)
{
    app->authenticate = token_authenticate;
    app->authenticate_session = web_session_authenticate;
    app->terraform_version_known = runner_terraform_known;
    user_on_password_changed(web_session_end_others);
    user_on_signed_up(team_on_user_signed_up);
    membership_on_invited(notification_send_invitation);
    organization_on_created(team_on_org_created);
    organization_on_delete(workspace_on_org_delete);
    organization_on_renamed(team_on_org_renamed);
    organization_on_renamed(token_on_org_renamed);
    organization_on_renamed(workspace_on_org_renamed);
    organization_on_renamed(registry_on_org_renamed);
    organization_on_delete(registry_on_org_delete);
    workspace_on_delete(state_on_workspace_delete);
    workspace_on_delete(configversion_on_workspace_delete);
    workspace_on_delete(run_on_workspace_delete);
    workspace_on_unlocked(run_on_workspace_unlocked);
    configversion_on_uploaded(run_on_configversion_uploaded);
    run_on_status(notification_on_run_status);
    authz_on_state_sharing(workspace_state_shared);
    workspace_on_include(run_include_for_workspace);
    workspace_on_include(configversion_include_for_workspace);
    workspace_on_include(state_include_for_workspace);
    state_on_include_run(run_include_for_state_version);
    configversion_on_include_run(run_include_for_configversion);
}

/* Every route table, in the order the router tries them. */
static const struct http_route *const route_tables[] = {
    meta_routes,
    iact_routes,
    user_routes,
    organization_routes,
    team_routes,
    membership_routes,
    team_access_routes,
    admin_user_routes,
    audit_trail_routes,
    notification_routes,
    run_trigger_routes,
    ssh_key_routes,
    registry_provider_routes,
    provider_protocol_routes,
    provider_mirror_routes,
    web_session_routes,
    web_routes,
    smtp_settings_routes,
    token_routes,
    workspace_routes,
    remote_state_routes,
    state_routes,
    state_upload_routes,
    variable_routes,
    configversion_routes,
    configversion_upload_routes,
    run_routes,
    run_log_routes,
    terraform_version_routes,
    cluster_routes,
    registry_routes,
    registry_protocol_routes,
};

void wiring_routes(struct http_server *s)
{
    for (size_t i = 0; i < sizeof route_tables / sizeof *route_tables; i++)
        http_server_routes(s, route_tables[i]);
}

const struct http_route *const *wiring_route_tables(size_t *n)
{
    *n = sizeof route_tables / sizeof *route_tables;
    return route_tables;
}
