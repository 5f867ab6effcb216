import { problem } from "./problems.js";

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/**
 * Pages over items in a stable order by a numeric position. The token carries the list it belongs to
 * and the position of the last item, so deletions between pages neither skip nor repeat items.
 */
export function paginate<T>(
  list: string,
  ordered: T[],
  position: (item: T) => number,
  limit: number,
  pageToken: string | undefined,
): Page<T> {
  const after = pageToken === undefined ? -1 : decode(list, pageToken);
  const rest = ordered.filter((item) => position(item) > after);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  if (rest.length <= limit || last === undefined) return { items };
  return {
    items,
    nextPageToken: Buffer.from(JSON.stringify({ l: list, p: position(last) })).toString("base64url"),
  };
}

function decode(list: string, token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as {
      l?: unknown;
      p?: unknown;
    };
    if (parsed.l === list && Number.isSafeInteger(parsed.p) && (parsed.p as number) >= 0)
      return parsed.p as number;
  } catch {
    // falls through to the problem below: any undecodable token is the same client error
  }
  throw problem(
    "invalid_page_token",
    `pageToken: ${JSON.stringify(token)} is not a token of this ${list} list`,
  );
}
