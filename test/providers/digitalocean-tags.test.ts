import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodeTag,
  encodeTag,
  readVolumeTags,
  sharedTags,
  volumeDescription,
} from "../../src/providers/digitalocean/tags.js";

const DO_TAG = /^[a-z0-9:_-]{1,255}$/;

describe("DigitalOcean provider: tags", () => {
  test("a tag becomes one lowercase name of DigitalOcean's tag grammar, and reads back", () => {
    const pairs: [string, string][] = [
      ["team", "payments"],
      ["ballast.dev/managed-by", "block.csi.ballast.dev"],
      ["Cost_Center", "A:1 b/ü"],
      ["empty", ""],
    ];
    const tags = pairs.map(([key, value]) => encodeTag("tags", key, value));
    assert.deepEqual(tags, [
      "team:payments",
      "ballast_2edev_2fmanaged-by:block_2ecsi_2eballast_2edev",
      "_43ost_5f_43enter:_41_3a1_20b_2f_c3_bc",
      "empty:",
    ]);
    for (const tag of tags) assert.match(tag, DO_TAG);
    assert.deepEqual(tags.map(decodeTag), pairs);
  });

  test("a tag longer than 255 characters as a DigitalOcean tag is InvalidArgument naming it", () => {
    assert.throws(() => encodeTag("tags", "team", "ü".repeat(60)), {
      kind: "InvalidArgument",
      message: 'tags: tag "team" is 365 characters as a DigitalOcean tag, more than the 255 it allows',
    });
  });

  test("tags someone else put on a volume read as themselves", () => {
    assert.deepEqual(["production", "k8s:3f6b5c1e", "weird_zz:x", "Env:Prod"].map(decodeTag), [
      ["production", ""],
      ["k8s", "3f6b5c1e"],
      ["weird_zz:x", ""],
      ["Env", "Prod"],
    ]);
  });

  test("facts of one volume go to its description, shared tags to DigitalOcean tags", () => {
    const tags = {
      "ballast.dev/managed-by": "block.csi.ballast.dev",
      "ballast.dev/csi-name": "default/data-0",
      team: "payments",
    };
    assert.deepEqual(sharedTags("tags", tags), [
      "ballast_2edev_2fmanaged-by:block_2ecsi_2eballast_2edev",
      "team:payments",
    ]);
    const description = volumeDescription(tags, "8fa70202-873f-11e6-8b68-000f533176b1");
    assert.equal(
      description,
      '{"ballast.dev/csi-name":"default/data-0","ballast.dev/restored-from":"8fa70202-873f-11e6-8b68-000f533176b1"}',
    );
    assert.deepEqual(readVolumeTags(sharedTags("tags", tags), description), {
      tags,
      sourceSnapshotId: "8fa70202-873f-11e6-8b68-000f533176b1",
    });
  });

  test("a description that is not the driver's JSON adds nothing", () => {
    assert.deepEqual(
      ["Block store for examples", "{not json", '{"a":1}', "[]"].map((d) => readVolumeTags(["team:a"], d)),
      Array.from({ length: 4 }, () => ({ tags: { team: "a" }, sourceSnapshotId: undefined })),
    );
  });

  test("a volume with no facts of its own has no description", () => {
    assert.equal(volumeDescription({ team: "a" }, undefined), undefined);
  });
});
