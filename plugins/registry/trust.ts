/**
 * Which collectives may be installed without asking: `.swamp.yaml` `trustedCollectives`
 * (default `swamp` and `si`). Auto-resolve asks `isTrusted` before it fetches a type's
 * extension; `swamp extension trust add|rm` edit the list in place, keeping the rest of the
 * file (comments, key order, quoting) as the user wrote it.
 */
import { readFile } from "node:fs/promises";
import { isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { configError, markerPath } from "../../kernel/runtime/marker.js";

/** Trusted when `.swamp.yaml` says nothing: swamp's own collectives. */
export const DEFAULT_TRUSTED_COLLECTIVES: readonly string[] = ["swamp", "si"];

export const TrustErrorCode = {
  /** A collective name that is not `^[a-z0-9][a-z0-9_-]*$`. */
  invalidCollective: "invalid_collective",
} as const;

const COLLECTIVE = /^[a-z0-9][a-z0-9_-]*$/;

/** The trust fields of the marker (a parsed `.swamp.yaml`). */
export interface TrustConfig {
  trustedCollectives?: readonly string[] | undefined;
  trustMemberCollectives?: boolean | undefined;
}

export interface TrustState {
  explicit: string[];
  membership: string[];
  resolved: string[];
  trustMemberCollectives: boolean;
}

/** Refuses a name that cannot be a collective, with one line saying what is allowed. */
export function assertCollective(name: string): void {
  if (COLLECTIVE.test(name)) return;
  const hint = name.startsWith("@") && COLLECTIVE.test(name.slice(1)) ? ` (write it without "@": ${name.slice(1)})` : "";
  throw new SwampError(
    TrustErrorCode.invalidCollective,
    `Invalid collective "${name}"${hint}: use lowercase letters, digits, "-" and "_", starting with a letter or digit`,
    { details: { collective: name } },
  );
}

/** The collective of a type or extension name: `@acme/aws/ec2` → `acme`. */
export function collectiveOfName(name: string): string {
  const bare = name.startsWith("@") ? name.slice(1) : name;
  return bare.split("/")[0] ?? "";
}

/**
 * Explicit list, membership collectives (when auto-trust is on) and their union. Registry
 * membership is not known locally, so `membership` is what the caller passes (none by default).
 */
export function trustState(config: TrustConfig, membership: readonly string[] = []): TrustState {
  const explicit = [...(config.trustedCollectives ?? DEFAULT_TRUSTED_COLLECTIVES)];
  const auto = config.trustMemberCollectives === true;
  const members = auto ? membership.filter((c) => !explicit.includes(c)) : [];
  return { explicit, membership: members, resolved: [...explicit, ...members], trustMemberCollectives: auto };
}

/** True when extensions of `collective` (a bare name, or any `@collective/…` name) may auto-resolve. */
export function isTrusted(collective: string, config: TrustConfig, membership: readonly string[] = []): boolean {
  const name = collective.includes("/") || collective.startsWith("@") ? collectiveOfName(collective) : collective;
  return trustState(config, membership).resolved.includes(name.toLowerCase());
}

/** The line an untrusted type's error carries. */
export function untrustedHint(collective: string): string {
  return `To allow: swamp extension trust add ${collective}`;
}

async function loadDocument(repoDir: string): Promise<{ file: string; doc: Document }> {
  const file = markerPath(repoDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new SwampError(ErrorCode.notARepo, `Not a swamp repository: ${repoDir}. Run 'swamp repo init' first.`, { details: { repoDir } });
    }
    throw err;
  }
  const doc = parseDocument(text, { prettyErrors: false });
  const bad = doc.errors[0];
  if (bad) throw configError(file, `invalid YAML: ${bad.message.split("\n")[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw configError(file, "must be a YAML mapping");
  return { file, doc };
}

/** The names in the document's `trustedCollectives` sequence, or undefined when the key is absent. */
function listedIn(doc: Document, file: string): string[] | undefined {
  const node = doc.get("trustedCollectives", true);
  if (node === undefined || node === null) return undefined;
  if (!isSeq(node)) throw configError(file, "must be a list of collective names", "trustedCollectives");
  return node.items.map((item) => String(isScalar(item) ? item.value : item));
}

async function save(file: string, doc: Document): Promise<void> {
  await atomicWriteFile(file, doc.toString());
}

/** Adds a collective (copying the default list in on the first write); returns the new list. */
export async function addTrustedCollective(repoDir: string, collective: string): Promise<string[]> {
  assertCollective(collective);
  const { file, doc } = await loadDocument(repoDir);
  const listed = listedIn(doc, file);
  const current = listed ?? [...DEFAULT_TRUSTED_COLLECTIVES];
  if (current.includes(collective)) {
    throw new SwampError(ErrorCode.alreadyExists, `Collective "${collective}" is already trusted`, { details: { collective, trustedCollectives: current } });
  }
  const seq = doc.get("trustedCollectives", true);
  if (listed !== undefined && isSeq(seq)) seq.add(doc.createNode(collective));
  else doc.set("trustedCollectives", doc.createNode([...current, collective]));
  await save(file, doc);
  return [...current, collective];
}

/** Removes a collective (an empty list turns auto-resolve off); returns the new list. */
export async function removeTrustedCollective(repoDir: string, collective: string): Promise<string[]> {
  assertCollective(collective);
  const { file, doc } = await loadDocument(repoDir);
  const listed = listedIn(doc, file);
  const current = listed ?? [...DEFAULT_TRUSTED_COLLECTIVES];
  const index = current.indexOf(collective);
  if (index < 0) {
    throw new SwampError(ErrorCode.notFound, `Collective "${collective}" is not trusted (trusted: ${current.join(", ") || "none"})`, {
      details: { collective, trustedCollectives: current },
    });
  }
  const next = current.filter((c) => c !== collective);
  const seq = doc.get("trustedCollectives", true);
  if (listed !== undefined && isSeq(seq)) seq.delete(index);
  else doc.set("trustedCollectives", doc.createNode(next));
  await save(file, doc);
  return next;
}
