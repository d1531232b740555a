import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The build's declarations, which the suite's global setup keeps in step with src/. */
const DIST = `${ROOT}dist/`;
/** The declarations of the package's entry points: `vix-ttl`, `vix-ttl/server` and `vix-ttl/opentelemetry`. */
const ENTRIES = ['dist/index.d.ts', 'dist/server/index.d.ts', 'dist/otel/index.d.ts'];

/** An optional property of a type a caller builds and hands to vix-ttl. */
export interface OptionalInputProperty {
  /** Where it was reached from: `new VixCircuitBreaker(options).hooks.onDecision`. */
  path: string;
  /** The parameters of exported constructors and functions that hold it at their top level, e.g. `new VixCircuitBreaker(options)`. */
  topLevelOf: string[];
  /** The property's name. */
  name: string;
  /** `file:line` of its declaration in the build's `.d.ts` (the source has the same name under src/). */
  at: string;
  /** Whether its declared type admits `undefined`, so that `{ name: undefined }` compiles under `exactOptionalPropertyTypes`. */
  acceptsUndefined: boolean;
}

/**
 * Every optional property a caller can give vix-ttl, read from the compiled types of the
 * entry points, the `.d.ts` files a consumer's compiler reads (a tenth of the checker's
 * work of reading src/, whose types it would infer from bodies): in the parameters of exported functions, constructors and public
 * methods, in exported `…Options` types, and in the object types they hold (not in
 * instances of our classes, and not in the parameters of callbacks, which we build).
 * A new option is found without a list to keep.
 */
export function optionalInputProperties(): OptionalInputProperty[] {
  const program = ts.createProgram(
    ENTRIES.map((entry) => `${ROOT}${entry}`),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts'], types: ['node'], strict: true, exactOptionalPropertyTypes: true, skipLibCheck: true, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const found = new Map<string, OptionalInputProperty>();
  const ours = (node: ts.Node | undefined): node is ts.Node => node !== undefined && node.getSourceFile().fileName.startsWith(DIST);
  const where = (node: ts.Node) => {
    const file = node.getSourceFile();
    return `${file.fileName.slice(ROOT.length)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  };
  const admitsUndefined = (type: ts.Type): boolean =>
    (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0 || (type.isUnion() && type.types.some(admitsUndefined));

  /** `ancestors`: the types on the way here, so that a recursive type ends the walk. */
  const walk = (type: ts.Type, path: string, topLevelOf: string | null, ancestors: ReadonlySet<ts.Type> = new Set()): void => {
    if (ancestors.has(type)) return;
    if (type.isUnion() || type.isIntersection()) {
      for (const member of type.types) walk(member, path, topLevelOf, ancestors);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object) || type.getCallSignatures().length > 0) return;
    if (type.getSymbol() && type.getSymbol()!.flags & ts.SymbolFlags.Class) return; // an instance of ours (a policy, a clock)
    const inside = new Set(ancestors).add(type);
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      for (const element of checker.getTypeArguments(type as ts.TypeReference)) walk(element, `${path}[]`, null, inside);
      return;
    }
    for (const property of type.getProperties()) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!ours(declaration)) continue;
      const here = `${path}.${property.name}`;
      if (property.flags & ts.SymbolFlags.Optional && (ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.type) {
        const at = where(declaration);
        const key = `${declaration.getSourceFile().fileName}:${declaration.getStart()}`;
        const entry = found.get(key) ?? { path: here, topLevelOf: [], name: property.name, at, acceptsUndefined: admitsUndefined(checker.getTypeFromTypeNode(declaration.type)) };
        if (topLevelOf !== null && !entry.topLevelOf.includes(topLevelOf)) entry.topLevelOf.push(topLevelOf);
        found.set(key, entry);
      }
      walk(checker.getNonNullableType(checker.getTypeOfSymbol(property)), here, null, inside);
    }
  };

  /** `owner`: the exported constructor or function, whose parameters' top-level properties are labelled `owner(parameter)`. */
  const walkParameters = (signature: ts.Signature, path: string, owner: string | null) => {
    for (const parameter of signature.getParameters()) {
      walk(checker.getNonNullableType(checker.getTypeOfSymbol(parameter)), `${path}(${parameter.name})`, owner === null ? null : `${owner}(${parameter.name})`);
    }
  };

  for (const entry of ENTRIES) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(`${ROOT}${entry}`)!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!ours(symbol.valueDeclaration ?? symbol.declarations?.[0])) continue;
      const typeOnly = exported.declarations?.some((d) => ts.isTypeOnlyImportOrExportDeclaration(d)) ?? false;
      if (symbol.flags & ts.SymbolFlags.Class) {
        const classType = checker.getTypeOfSymbol(symbol);
        if (!typeOnly) for (const signature of classType.getConstructSignatures()) walkParameters(signature, `new ${exported.name}`, `new ${exported.name}`);
        for (const owner of [classType, checker.getDeclaredTypeOfSymbol(symbol)]) {
          for (const member of owner.getProperties()) {
            const declaration = member.valueDeclaration;
            if (member.name.startsWith('#') || !ours(declaration)) continue;
            const modifiers = ts.canHaveModifiers(declaration) ? ts.getModifiers(declaration) : undefined;
            if (modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
            for (const signature of checker.getTypeOfSymbol(member).getCallSignatures()) walkParameters(signature, `${exported.name}.${member.name}`, null);
          }
        }
      } else if (symbol.flags & ts.SymbolFlags.Function) {
        for (const signature of checker.getTypeOfSymbol(symbol).getCallSignatures()) walkParameters(signature, exported.name, exported.name);
      } else if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && /Options$/.test(exported.name) && !exported.name.startsWith('Resolved')) {
        walk(checker.getDeclaredTypeOfSymbol(symbol), exported.name, null);
      }
    }
  }
  return [...found.values()].sort((a, b) => a.at.localeCompare(b.at, 'en', { numeric: true }));
}
