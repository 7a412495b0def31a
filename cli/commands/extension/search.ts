import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { RegistryClient } from "../../../plugins/registry/client.js";
import { resolveRegistry } from "../../../plugins/registry/config.js";
import { EXTENSION_KEYWORD, type ExtensionSummary, summaryFromSearch } from "../../../plugins/registry/listing.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../output.js";

export default class ExtensionSearchCommand extends SwampCommand {
  static override paths = [["extension", "search"]];
  static override usage = Command.Usage({
    description: "Search the npm-protocol registry for swamp extensions",
    details:
      "Sends the query as plain text to the registry's /-/v1/search and keeps the packages published by " +
      "'swamp extension push' (keyword swamp-extension). Without a query, lists extensions. Needs no repo.",
    examples: [["Find datastores", "swamp extension search datastore --json"]],
  });

  query = Option.String({ name: "query", required: false });
  size = Option.String("--size", "20", { description: "How many registry results to read (default 20)" });
  from = Option.String("--from", "0", { description: "Offset into the registry's results" });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const target = await resolveRegistry({ repoDir, env: process.env });
    const size = Math.max(1, Math.min(250, Number.parseInt(this.size, 10) || 20));
    const from = Math.max(0, Number.parseInt(this.from, 10) || 0);
    const client = new RegistryClient(target);
    const query = this.query?.trim() ?? "";
    // npmjs understands `keywords:` qualifiers; registries that do not (Verdaccio) match plain text and
    // list every package for an empty text, which is then filtered to extensions here.
    const searches = query ? [query, `keywords:${query}`] : [`keywords:${EXTENSION_KEYWORD}`];
    const found = new Map<string, ExtensionSummary>();
    let registryTotal = 0;
    for (const text of searches) {
      const result = await client.search(text, { size, from });
      registryTotal = Math.max(registryTotal, result.total);
      for (const e of result.objects.map(summaryFromSearch)) if (e && !found.has(e.name)) found.set(e.name, e);
    }
    if (!query && found.size === 0) {
      // A registry that refuses an empty text simply has nothing more to list.
      const result = await client.search("", { size, from }).catch(() => ({ objects: [], total: 0 }));
      registryTotal = result.total;
      for (const e of result.objects.map(summaryFromSearch)) if (e) found.set(e.name, e);
    }
    const extensions = [...found.values()];
    this.emit({ query: this.query ?? null, registry: target.url, extensions, meta: { total: extensions.length, registryTotal, from, size } }, () => {
      if (extensions.length === 0) return `No extensions found${this.query ? ` for "${this.query}"` : ""} in ${target.url}.`;
      return table([["NAME", "VERSION", "DESCRIPTION"], ...extensions.map((e) => [e.name, e.latestVersion ?? "?", e.description.split("\n")[0] ?? ""])]);
    });
    return 0;
  }
}
