// Syntax trees for the Licensees and Conditions sublanguages. Every node remembers its source span
// so explanations can quote the policy text the operator wrote.

export type ValueType = 'str' | 'int' | 'float' | 'bool';
export type Span = { pos: number; end: number };

export type Expr = Span &
  (
    | { k: 'str'; v: string }
    | { k: 'var'; name: string }
    | { k: 'deref'; e: Expr } // $StrEx
    | { k: 'concat'; a: Expr; b: Expr }
    | { k: 'int'; v: number }
    | { k: 'float'; v: number }
    | { k: 'toint'; e: Expr } // @StrEx
    | { k: 'tofloat'; e: Expr } // &StrEx
    | { k: 'neg'; t: 'int' | 'float'; e: Expr }
    | { k: 'arith'; t: 'int' | 'float'; op: '+' | '-' | '*' | '/' | '%' | '^'; a: Expr; b: Expr }
    | { k: 'rel'; t: 'int' | 'float' | 'str'; op: '==' | '!=' | '<' | '>' | '<=' | '>='; a: Expr; b: Expr }
    | { k: 'regex'; a: Expr; re: Expr }
    | { k: 'and' | 'or'; a: Expr; b: Expr }
    | { k: 'not'; e: Expr }
    | { k: 'bool'; v: boolean }
  );

export interface Clause extends Span {
  test: Expr;
  value?: Expr; // "-> value"
  block?: Clause[]; // "-> { ... }"
}

export type LicExpr = Span &
  (
    | { k: 'key'; e: Expr }
    | { k: 'and' | 'or'; a: LicExpr; b: LicExpr }
    | { k: 'kof'; n: number; keys: Expr[] }
  );
