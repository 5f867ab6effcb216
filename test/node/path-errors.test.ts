import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { asPathError } from "../../src/node/path-errors.js";
import { BallastError, internal, notFound } from "../../src/shared/errors.js";

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

describe("asPathError", () => {
  test("ENAMETOOLONG from a file call is InvalidArgument naming the path and the call", () => {
    const mapped = asPathError(errnoError("ENAMETOOLONG", "lstat", "/var/lib/kubelet/x"));
    assert.ok(mapped instanceof BallastError);
    assert.equal(mapped.kind, "InvalidArgument");
    assert.equal(mapped.message, '"/var/lib/kubelet/x" is too long for the kernel (ENAMETOOLONG from lstat)');
  });

  test("ENAMETOOLONG wrapped in an Internal error is InvalidArgument", () => {
    const mapped = asPathError(internal("removing /x failed", errnoError("ENAMETOOLONG", "rmdir", "/x")));
    assert.ok(mapped instanceof BallastError);
    assert.equal(mapped.kind, "InvalidArgument");
    assert.equal(mapped.message, '"/x" is too long for the kernel (ENAMETOOLONG from rmdir)');
  });

  test("another errno passes through unchanged", () => {
    const error = errnoError("EACCES", "mkdir", "/x");
    assert.equal(asPathError(error), error);
  });

  test("a domain error of another kind passes through unchanged", () => {
    const error = notFound("volume_path /x does not exist");
    assert.equal(asPathError(error), error);
  });
});
