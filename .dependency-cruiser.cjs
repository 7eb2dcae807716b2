// The layering of src/ (docs/architecture.md): a folder imports only folders of lower layers, so no two
// folders can import each other, directly or around a loop. Type-only imports count like any other.
// Run: npm run deps
/** Top to bottom. A name is a folder under src/, or a file directly in src/. */
const LAYERS = [
  ["index.ts"], // the Worker's entry: exports every Durable Object, routes fetch and queue
  ["api", "simulator"], // the edges: HTTP in, and the local stand-in for the providers' side
  ["verifications"], // one-time codes: a verification's object makes, seals and checks the code, and sends it as orders
  ["dispatch", "reports", "stats"], // the pipelines: hand-overs out to providers, reports back into orders; the statistics read side
  ["orders"], // the order's Durable Object and what it decides
  ["limits"], // what the order calls first: its limits (their refusals go to the statistics through the write-behind)
  ["store"], // the write-behind to D1 (with the callback outbox and the statistics' rollups)
  ["providers", "webhooks"], // provider clients and their status maps; the organisations' callback objects
  ["auth", "encoding", "retry", "status"], // shared, pure or nearly so
  ["config"], // settings, whether this is local development, and the one place that makes Durable Object ids and stubs (used by retry/'s dead letters)
  ["log.ts", "env.d.ts"],
];

const escape = (name) => name.replace(/\./g, "\\.");
const anyOf = (names) => `^src/(${names.map(escape).join("|")})(/|$)`;
const all = LAYERS.flat();

const layerRules = LAYERS.slice(0, -1).map((names, i) => ({
  name: `layer-${i}-imports-only-lower-layers`,
  comment: `${names.join(", ")} may import only their own folder and ${LAYERS.slice(i + 1).flat().join(", ")}`,
  severity: "error",
  from: { path: anyOf(names) },
  to: { path: "^src/", pathNot: ["^src/$1(/|$)", anyOf(LAYERS.slice(i + 1).flat())] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "bottom-layer-imports-nothing-of-src",
      comment: `${LAYERS.at(-1).join(", ")} import nothing else of src/`,
      severity: "error",
      from: { path: anyOf(LAYERS.at(-1)) },
      to: { path: "^src/", pathNot: "^src/$1(/|$)" },
    },
    {
      name: "every-folder-has-a-layer",
      comment: "a new folder or top-level file of src/ must be put in LAYERS (.dependency-cruiser.cjs) first",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^src/", pathNot: anyOf(all) },
    },
    {
      name: "every-folder-has-a-layer-too",
      comment: "a new folder or top-level file of src/ must be put in LAYERS (.dependency-cruiser.cjs) first",
      severity: "error",
      from: { path: "^src/", pathNot: anyOf(all) },
      to: { path: "^src/" },
    },
    {
      name: "no-folder-cycles",
      comment: "no two folders (subfolders included) import each other, directly or around a loop",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-module-cycles",
      comment: "no two modules import each other, directly or around a loop",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "resolvable",
      comment: "every import of src/ resolves (a moved file leaves no dangling import)",
      severity: "error",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 offers no JavaScript API for dependency-cruiser; swc parses the sources, type-only imports included.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    // cloudflare:workers is the platform's, like node:fs.
    builtInModules: { add: ["cloudflare:workers"] },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types", "default"] },
  },
};
