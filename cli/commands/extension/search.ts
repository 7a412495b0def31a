import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { UsageError } from "../../../kernel/contract/errors.js";
import { RegistryClient } from "../../../plugins/registry/client.js";
import { resolveRegistry } from "../../../plugins/registry/config.js";
import { EXTENSION_KEYWORD, type ExtensionSummary, summaryFromSearch } from "../../../plugins/registry/listing.js";
import { extensionCollective } from "../../../plugins/registry/names.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";

const CONTENT_TYPES = ["models", "workflows", "vaults", "datastores", "drivers", "reports"] as const;
const SORTS = ["relevance", "new", "updated", "name"] as const;
/** How many registry results the filters look at: npm's largest page. */
const WINDOW = 250;

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}

export default class ExtensionSearchCommand extends SwampCommand {
  static override paths = [["extension", "search"]];
  static override usage = Command.Usage({
    description: "Search the npm-protocol registry for swamp extensions",
    details:
      "Sends the query as plain text to the registry's /-/v1/search and keeps the packages published by " +
      "'swamp extension push' (keyword swamp-extension). Without a query, lists extensions. The filters are applied here, " +
      "to the registry's first 250 matches, because most registries (Verdaccio among them) ignore npm's search " +
      "qualifiers: --collective is the npm scope, --label a keyword, --content-type the swamp:<kind> keyword and " +
      "--platform the swamp-platform:<p> keyword that push writes. --label, --content-type and --platform may be repeated " +
      "(any of the values matches). --sort: relevance (the registry's order; needs a query), new, updated or name. Needs no repo.",
    examples: [
      ["Find datastores", "swamp extension search datastore --json"],
      ["A collective's vaults, newest first", "swamp extension search --collective acme --content-type vaults --sort new"],
    ],
  });

  query = Option.String({ name: "query", required: false });
  collective = Option.String("--collective", { description: "Only this collective (the npm scope, without @)" });
  labels = Option.Array("--label", { description: "Only extensions with this label (repeatable)" });
  contentTypes = Option.Array("--content-type", { description: `Only extensions holding this kind: ${CONTENT_TYPES.join(", ")} (repeatable)` });
  platforms = Option.Array("--platform", { description: "Only extensions declaring this platform (repeatable)" });
  sort = Option.String("--sort", { description: `Order: ${SORTS.join(", ")}` });
  perPage = Option.String("--per-page", "20", { description: "Results per page (default 20)" });
  page = Option.String("--page", "1", { description: "Page number (default 1)" });

  async run(): Promise<number> {
    const query = this.query?.trim() ?? "";
    const sort = this.sort ?? "relevance";
    if (!(SORTS as readonly string[]).includes(sort)) throw new UsageError(`--sort must be one of ${SORTS.join(", ")}, got "${sort}"`);
    if (this.sort === "relevance" && !query) throw new UsageError('Sort by "relevance" requires a search query.');
    const badType = this.contentTypes?.find((t) => !(CONTENT_TYPES as readonly string[]).includes(t));
    if (badType !== undefined) throw new UsageError(`Unknown --content-type "${badType}"; use any of ${CONTENT_TYPES.join(", ")}`);
    const collective = this.collective?.replace(/^@/, "");
    const perPage = Math.min(WINDOW, positive(this.perPage, "--per-page"));
    const page = positive(this.page, "--page");

    const repoDir = resolve(this.resolvedRepoDir());
    const target = await resolveRegistry({ repoDir, env: process.env, ...(collective ? { extension: `@${collective}/x` } : {}) });
    const client = new RegistryClient(target);
    // npmjs understands `keywords:` qualifiers; registries that do not (Verdaccio) match plain text and
    // list every package for an empty text, which is then filtered to extensions here.
    const searches = query ? [query, `keywords:${query}`] : [`keywords:${EXTENSION_KEYWORD}`];
    const found = new Map<string, ExtensionSummary>();
    for (const text of searches) {
      const result = await client.search(text, { size: WINDOW });
      for (const e of result.objects.map(summaryFromSearch)) if (e && !found.has(e.name)) found.set(e.name, e);
    }
    if (!query && found.size === 0) {
      // A registry that refuses an empty text simply has nothing more to list.
      const result = await client.search("", { size: WINDOW }).catch(() => ({ objects: [], total: 0 }));
      for (const e of result.objects.map(summaryFromSearch)) if (e) found.set(e.name, e);
    }
    const anyOf = (wanted: string[] | undefined, have: readonly string[]) => !wanted?.length || wanted.some((w) => have.includes(w));
    const matching = [...found.values()].filter(
      (e) =>
        (!collective || extensionCollective(e.name) === collective) &&
        anyOf(this.labels, e.labels) &&
        anyOf(this.contentTypes, e.contentTypes) &&
        anyOf(this.platforms, e.platforms),
    );
    const newestFirst = (a: string | null, b: string | null) => (b ?? "").localeCompare(a ?? "");
    if (sort === "name") matching.sort((a, b) => a.name.localeCompare(b.name));
    else if (sort === "new") matching.sort((a, b) => newestFirst(a.createdAt ?? a.updatedAt, b.createdAt ?? b.updatedAt));
    else if (sort === "updated") matching.sort((a, b) => newestFirst(a.updatedAt, b.updatedAt));
    const extensions = matching.slice((page - 1) * perPage, page * perPage);
    this.emit({ query: this.query ?? null, registry: target.url, extensions, meta: { total: matching.length, page, perPage } }, () => {
      if (extensions.length === 0) return `No extensions found${this.query ? ` for "${this.query}"` : ""} in ${target.url}.`;
      return table(
        extensions.map((e) => [e.name, e.latestVersion ?? "?", e.description.split("\n")[0] ?? ""]),
        { header: ["NAME", "VERSION", "DESCRIPTION"], flex: 2 },
      );
    });
    return 0;
  }
}
