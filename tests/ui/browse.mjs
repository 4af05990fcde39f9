// browse.mjs — the web UI in headless Chromium (Playwright): sign in, open a workspace, start a
// run, watch its log stream to the end, confirm it, see the new state version and its outputs,
// browse the registry; an injected <script> in a workspace description and a CSRF attempt both
// fail. Prints what it saw as one JSON object; saves screenshots of the main pages.
// env: STRATA_URL, STRATA_USER, STRATA_PASSWORD, STRATA_ORG, STRATA_WS, EVIL_URL, SHOTS,
//      CHROMIUM (the browser binary)
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { chromium } = require("../services/node_modules/playwright-core");

const env = process.env;
const base = env.STRATA_URL, org = env.STRATA_ORG, ws = env.STRATA_WS, shots = env.SHOTS;
const seen = {};
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"], // the tests run as root
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [], failed = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  page.on("response", (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  // signing in: a wrong password first, then the right one
  await page.goto(`${base}/app/${org}/workspaces/${ws}`);
  await page.waitForSelector("input[name=username]");
  seen.redirectedToLogin = page.url().includes("/app/login");
  await page.getByLabel("Username").fill(env.STRATA_USER);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "wrong username or password" }).waitFor();
  await page.getByLabel("Password").fill(env.STRATA_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: ws }).waitFor();
  seen.landedOnWorkspace = page.url().endsWith(`/app/${org}/workspaces/${ws}`);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "strata_session");
  seen.cookie = session && { httpOnly: session.httpOnly, secure: session.secure, sameSite: session.sameSite };
  seen.scriptCanReadCookie = await page.evaluate(() => document.cookie.includes("strata_session"));

  // the description holds markup: it is shown as text and nothing of it runs
  seen.description = await page.locator("dd").nth(1).textContent();
  seen.xss = await page.evaluate(() => window.__xss || null);
  await page.screenshot({ path: `${shots}/workspace.png`, fullPage: true });

  // a variable added, then changed in place; a sensitive one is never shown again
  await page.getByLabel("Key").fill("n");
  await page.getByLabel("Value", { exact: true }).fill("first");
  await page.getByRole("button", { name: "Add variable" }).click();
  await page.getByRole("button", { name: "Edit n" }).click();
  await page.getByLabel("New value of n").fill("web");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("cell", { name: "web", exact: true }).waitFor();
  await page.getByLabel("Key").fill("token");
  await page.getByLabel("Value", { exact: true }).fill("s3cr3t-value");
  await page.getByLabel("Sensitive").check();
  await page.getByRole("button", { name: "Add variable" }).click();
  await page.getByRole("button", { name: "Edit token" }).waitFor();
  seen.variables = await page.locator("section[aria-label=Variables] table").textContent();

  // the workspaces list
  await page.goto(`${base}/app/${org}/workspaces`);
  await page.getByRole("link", { name: ws }).waitFor();
  await page.screenshot({ path: `${shots}/workspaces.png`, fullPage: true });
  await page.getByRole("link", { name: ws }).click();

  // a run: started here, its plan streamed, confirmed, applied
  await page.getByRole("button", { name: "Start a new run" }).click();
  await page.getByRole("heading", { name: /^Run run-/ }).waitFor();
  seen.runUrl = page.url();
  await page.getByRole("button", { name: "Confirm & apply" }).waitFor({ timeout: 120000 });
  seen.planLog = await page.locator("pre.log").first().textContent();
  await page.screenshot({ path: `${shots}/run-planned.png`, fullPage: true });
  await page.getByRole("button", { name: "Confirm & apply" }).click();
  await page.locator(".status.ok", { hasText: "applied" }).waitFor({ timeout: 120000 });
  await page.locator("pre.log").nth(1).filter({ hasText: "Apply complete" }).waitFor({ timeout: 30000 });
  seen.applyLog = await page.locator("pre.log").nth(1).textContent();
  seen.runPage = await page.locator("main").textContent();
  await page.screenshot({ path: `${shots}/run-applied.png`, fullPage: true });

  // the new state version and its outputs
  await page.goto(`${base}/app/${org}/workspaces/${ws}`);
  await page.getByRole("link", { name: /^sv-/ }).first().click();
  await page.getByRole("heading", { level: 1, name: /^State version sv-/ }).waitFor();
  seen.outputs = await page.locator("table").first().textContent();
  await page.screenshot({ path: `${shots}/state.png`, fullPage: true });

  // the registry
  await page.goto(`${base}/app/${org}/registry`);
  await page.getByRole("heading", { name: `Private registry of ${org}` }).waitFor();
  seen.registry = await page.locator("main").textContent();
  await page.screenshot({ path: `${shots}/registry.png`, fullPage: true });

  // a module: its README rendered, its inputs
  await page.getByRole("link", { name: "network (aws)" }).click();
  await page.getByRole("heading", { name: "README" }).waitFor();
  seen.moduleReadmeHeading = await page.locator("article.readme h3").first().textContent();
  seen.moduleInputs = await page.locator("table").first().textContent();
  await page.screenshot({ path: `${shots}/module.png`, fullPage: true });

  // settings: the workspace's description changed here
  await page.goto(`${base}/app/${org}/workspaces/${ws}/settings`);
  await page.getByLabel("Description").fill("changed in the browser");
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Saved.").waitFor();
  await page.screenshot({ path: `${shots}/workspace-settings.png`, fullPage: true });

  // an API token made here, shown once
  await page.goto(`${base}/app/settings/tokens`);
  await page.getByLabel("Description").fill("from the browser");
  await page.getByRole("button", { name: "Create an API token" }).click();
  seen.newToken = await page.getByLabel("new token").textContent();
  await page.screenshot({ path: `${shots}/tokens.png`, fullPage: true });

  // CSRF: a change from this page's own script without the token is refused…
  seen.csrfInPage = await page.evaluate(async (path) => (await fetch(path, {
    method: "PATCH", credentials: "same-origin",
    headers: { "Content-Type": "application/vnd.api+json" },
    body: JSON.stringify({ data: { type: "workspaces", attributes: { description: "csrf" } } }),
  })).status, `/api/v2/organizations/${org}/workspaces/${ws}`);
  // …and another site's form posting to Strata carries no session (SameSite=Strict)
  const evil = await context.newPage();
  await evil.goto(env.EVIL_URL);
  await evil.waitForTimeout(1500);
  seen.evilLanded = evil.url();
  seen.evilText = await evil.locator("body").textContent().catch(() => "");

  seen.consoleErrors = consoleErrors;
  seen.failedRequests = failed;
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForSelector("input[name=username]");
  seen.signedOut = true;
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
