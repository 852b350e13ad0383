// The layering of src/: each top-level folder (or top-level file) of src/ may
// import only from those listed before it in LAYERS, and from itself. So the
// tensor library never reaches into training, the data pipeline never into the
// CLI, and a new folder has to be given its place here before it can be used.
//
// The rule resolves every relative specifier of a file under src/ (static
// `import`, `export ... from`, `import('...')`, and `import('...')` types) to
// the top-level folder it lands in and reports:
//   - an import of a folder that comes later in LAYERS than the importer;
//   - an import of a folder or file of src/ that LAYERS does not name;
//   - a file in a folder that LAYERS does not name (once per file).
// Package imports and relative paths that leave src/ are not its concern.
import path from 'node:path';

/**
 * The layer order of src/, lowest first. `tasks` is src/tasks.ts and `index`
 * is src/index.ts, the package entry, which may import everything.
 */
export const LAYERS = Object.freeze([
  'util',
  'tasks',
  'torch',
  'audio',
  'data',
  'synth',
  'config',
  'metrics',
  'losses',
  'model',
  'run',
  'report',
  'train',
  'distributed',
  'predict',
  'ensemble',
  'serve',
  'cli',
  'index',
]);

const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

/** The top-level unit of src/ that `file` belongs to, or undefined when `file` is outside `srcDir`. */
export function layerOf(file, srcDir) {
  const relative = path.relative(srcDir, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [first, ...rest] = relative.split(path.sep);
  return rest.length === 0 ? first.replace(SOURCE_FILE, '') : first;
}

const ORDER = LAYERS.join(' → ');

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'src/ imports go only from a layer to the layers before it (LAYERS in eslint-rules/layers.js)' },
    schema: [
      {
        type: 'object',
        properties: { srcDir: { type: 'string', description: 'the folder the layers live in, relative to the working directory (default: src)' } },
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        "src/{{from}} may not import from src/{{to}}: '{{to}}' comes after '{{from}}' in the layer order, and a layer imports only from the layers before it ({{order}}). Move what both need into '{{from}}' or a layer before it.",
      unknownTarget:
        "src/{{to}} is not in the layer order ({{order}}): add it to LAYERS in eslint-rules/layers.js at the place it belongs before importing it.",
      unknownImporter:
        "src/{{from}} is not in the layer order ({{order}}): add it to LAYERS in eslint-rules/layers.js at the place it belongs.",
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const srcDir = path.resolve(context.cwd, options.srcDir ?? 'src');
    const file = context.physicalFilename;
    const from = layerOf(file, srcDir);
    if (from === undefined) return {};
    const fromRank = LAYERS.indexOf(from);

    /** Check one specifier; `node` is what a report points at. */
    function check(specifier, node) {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(file), specifier), srcDir);
      if (to === undefined || to === from) return;
      const toRank = LAYERS.indexOf(to);
      if (toRank < 0) context.report({ node, messageId: 'unknownTarget', data: { to, order: ORDER } });
      // An importer outside the order is reported once, on the file.
      else if (fromRank >= 0 && toRank > fromRank) context.report({ node, messageId: 'upward', data: { from, to, order: ORDER } });
    }

    /** The text of a string literal or of a template literal without substitutions. */
    function literal(node) {
      if (!node) return undefined;
      if (node.type === 'Literal') return node.value;
      if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked;
      return undefined;
    }

    return {
      Program(node) {
        if (fromRank < 0) context.report({ node, loc: { line: 1, column: 0 }, messageId: 'unknownImporter', data: { from, order: ORDER } });
      },
      ImportDeclaration: (node) => check(node.source.value, node.source),
      ExportAllDeclaration: (node) => check(node.source.value, node.source),
      ExportNamedDeclaration: (node) => {
        if (node.source) check(node.source.value, node.source);
      },
      ImportExpression: (node) => check(literal(node.source), node.source),
      // `typeof import('../x.js')` and `import('../x.js').T` in types.
      TSImportType: (node) => {
        // `source` since typescript-eslint 8.x; `argument` (a literal type) before.
        const source = 'source' in node ? node.source : node.argument?.literal;
        check(literal(source), node);
      },
    };
  },
};

/** The local plugin that eslint.config.js registers as `vbt`. */
export default {
  meta: { name: 'vbt-local-rules' },
  rules: { layers: layersRule },
};
