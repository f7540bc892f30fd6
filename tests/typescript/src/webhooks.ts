/** Webhook endpoints and their deliveries (E128–E135). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyNotFoundError, ZabyValidationError } from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { expectApiError } from "./support/helpers.js";

describe("webhooks", () => {
  test("E128–E135 webhook endpoints: create, list, get, update, rotate, deliveries, delete", async () => {
    const z = ctx().zaby;
    const created = await z.webhooks.create({ url: "http://127.0.0.1:9/zaby-hooks", events: ["run.completed"] });
    assert.ok(created.secret?.startsWith("whsec_"), "the secret is shown at creation");
    assert.equal(created.enabled, true);
    assert.equal(created.disabledReason, null);
    await expectApiError(
      z.webhooks.create({ url: "http://hooks.example.com/x", events: ["*"] }),
      ZabyValidationError,
      422,
      "VALIDATION_ERROR",
    );

    const ids: string[] = [];
    for await (const w of z.webhooks.iter({ limit: 2 })) ids.push(w.id);
    assert.ok(ids.includes(created.id));
    const listed = await z.webhooks.list({ limit: 100 });
    assert.equal(listed.items.find((w) => w.id === created.id)?.secret, undefined);
    const read = await z.webhooks.get(created.id);
    assert.equal(read.url, "http://127.0.0.1:9/zaby-hooks");
    assert.equal(read.secret, undefined);

    const updated = await z.webhooks.update(created.id, { enabled: false, description: "paused" });
    assert.equal(updated.enabled, false);
    assert.equal(updated.description, "paused");
    assert.deepEqual(updated.events, ["run.completed"]);

    const rotated = await z.webhooks.rotateSecret(created.id);
    assert.ok(rotated.secret?.startsWith("whsec_"));
    assert.notEqual(rotated.secret, created.secret);

    const deliveries = await z.webhooks.listDeliveries(created.id, { status: "PENDING" });
    assert.deepEqual(deliveries.items, []);
    await expectApiError(z.webhooks.redeliver(created.id, "no-such-delivery"), ZabyNotFoundError, 404, "NOT_FOUND");

    const deleted = await z.webhooks.delete(created.id);
    assert.equal(deleted.deleted, true);
    await expectApiError(z.webhooks.get(created.id), ZabyNotFoundError, 404, "NOT_FOUND");
  });
});
