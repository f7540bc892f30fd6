// The site's own backend for the page: it serves public/ and the web build of
// @zaby/sdk, and mints a short-lived runtime token per visitor with the native
// package. The API key never leaves this process.
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { Zaby } from "@zaby/sdk";

const env = process.env;
const zaby = new Zaby({ apiKey: env.ZABY_API_KEY, apiOrigin: env.ZABY_API_ORIGIN });
const sdk = fileURLToPath(new URL("dist/", import.meta.resolve("@zaby/sdk/package.json")));
const page = fileURLToPath(new URL("public/", import.meta.url));
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
const send = (res, status, type, body) => res.writeHead(status, { "content-type": type }).end(body);

async function mint() {
  const minted = await zaby.runtimeTokens.create({
    externalAppId: env.ZABY_EXTERNAL_APP_ID,
    deploymentId: env.ZABY_DEPLOYMENT_ID,
    quotaPolicyId: env.ZABY_QUOTA_POLICY_ID,
    externalUserId: env.ZABY_EXTERNAL_USER_ID ?? "web-visitor", // a real site: its signed-in user
    channel: "web",
  });
  return { token: minted.token, expiresAt: minted.expiresAt, apiOrigin: zaby.config.apiOrigin };
}

async function handle(req, res) {
  const path = decodeURIComponent(new URL(req.url, "http://page").pathname);
  if (req.method === "POST" && path === "/token") {
    const answer = await mint().then(
      (t) => [200, t],
      (e) => [502, { code: e.code ?? "TOKEN_FAILED", message: e.message, requestId: e.requestId ?? null }],
    );
    return send(res, answer[0], "application/json", JSON.stringify(answer[1]));
  }
  const [root, rest] = path.startsWith("/sdk/") ? [sdk, path.slice(5)] : [page, path.slice(1) || "index.html"];
  const file = normalize(join(root, rest));
  if (req.method !== "GET" || !file.startsWith(root) || !types[extname(file)]) return send(res, 404, "text/plain", "not found");
  const body = await readFile(file).catch(() => null);
  return body ? send(res, 200, types[extname(file)], body) : send(res, 404, "text/plain", "not found");
}

const [host, port] = [env.HOST ?? "127.0.0.1", Number(env.PORT ?? 8080)];
http.createServer((req, res) => handle(req, res).catch(() => send(res, 400, "text/plain", "bad request")))
  .listen(port, host, () => console.log(`the page: http://${host}:${port}/`));
