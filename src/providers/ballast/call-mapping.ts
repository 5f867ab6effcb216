import { BallastError } from "../../shared/errors.js";
import { toDomainError } from "./error-mapping.js";

function isNotFound(error: unknown): boolean {
  return error instanceof BallastError && error.kind === "NotFound";
}

/** The call's result, or its failure as the domain error the ballast API's answer means. */
export async function mapped<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toDomainError(error);
  }
}

export async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await mapped(call);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function goneIsDone(call: Promise<void>): Promise<void> {
  try {
    await mapped(call);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
