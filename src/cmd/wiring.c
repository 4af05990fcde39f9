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

void wiring_routes(struct http_server *s)
{
    http_server_routes(s, meta_routes);
    http_server_routes(s, iact_routes);
    http_server_routes(s, user_routes);
    http_server_routes(s, organization_routes);
    http_server_routes(s, team_routes);
    http_server_routes(s, membership_routes);
    http_server_routes(s, team_access_routes);
    http_server_routes(s, admin_user_routes);
    http_server_routes(s, audit_trail_routes);
    http_server_routes(s, notification_routes);
    http_server_routes(s, run_trigger_routes);
    http_server_routes(s, ssh_key_routes);
    http_server_routes(s, registry_provider_routes);
    http_server_routes(s, provider_protocol_routes);
    http_server_routes(s, provider_mirror_routes);
    http_server_routes(s, web_session_routes);
    http_server_routes(s, web_routes);
    http_server_routes(s, smtp_settings_routes);
    http_server_routes(s, token_routes);
    http_server_routes(s, workspace_routes);
    http_server_routes(s, remote_state_routes);
    http_server_routes(s, state_routes);
    http_server_routes(s, state_upload_routes);
    http_server_routes(s, variable_routes);
    http_server_routes(s, configversion_routes);
    http_server_routes(s, configversion_upload_routes);
    http_server_routes(s, run_routes);
    http_server_routes(s, run_log_routes);
    http_server_routes(s, terraform_version_routes);
    http_server_routes(s, cluster_routes);
    http_server_routes(s, registry_routes);
    http_server_routes(s, registry_protocol_routes);
}
