//! The filter AST and its canonical printer.
//!
//! `Display` prints a canonical form that [`super::parse`] turns back into an equal AST: single spaces
//! around operators, `&&` chains inside `||` without parentheses (`&&` binds tighter), every other nested
//! `&&`/`||` in parentheses, strings in `'…'` unless they contain `'` but no `"`.

use std::fmt;

/// A parsed filter expression.
///
/// `&&` binds tighter than `||`, as in SQL (PocketBase joins fexpr's flat list into SQL text). `And` and
/// `Or` always hold at least two children; a parenthesised group becomes one child, so
/// `(a = 1 && b = 2) && c = 3` keeps its inner `And` while `a = 1 && b = 2 && c = 3` is one flat `And`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All children must hold.
    And(Vec<Expr>),
    /// At least one child must hold.
    Or(Vec<Expr>),
    /// One `left op right` comparison.
    Compare { left: Operand, op: Op, right: Operand },
}

/// A comparison operator. The `Any*` variants are the `?`-prefixed "at least one value" forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Neq,
    Like,
    NotLike,
    Lt,
    Lte,
    Gt,
    Gte,
    AnyEq,
    AnyNeq,
    AnyLike,
    AnyNotLike,
    AnyLt,
    AnyLte,
    AnyGt,
    AnyGte,
}

/// One side of a comparison, or a function argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A quoted string, unescaped (`\'` inside `'…'` became `'`; other backslashes are kept as written).
    Str(String),
    /// A number literal (digits, optional leading `-`, optional one `.`). Always finite.
    Num(f64),
    /// `true` / `false`, matched case-insensitively like PocketBase does.
    Bool(bool),
    /// `null`, matched case-insensitively. PocketBase treats `null` and `''` as equal in `=`/`!=`.
    Null,
    /// A date/time macro such as `@now`.
    Macro(Macro),
    /// A field or request path.
    Path(Path),
    /// A function call. Arguments are never `Func` (PocketBase rejects nested calls).
    Func { name: Function, args: Vec<Operand> },
}

/// The date/time macros; all evaluate in UTC when the filter is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Macro {
    Now,
    Yesterday,
    Tomorrow,
    TodayStart,
    TodayEnd,
    MonthStart,
    MonthEnd,
    YearStart,
    YearEnd,
    Second,
    Minute,
    Hour,
    Day,
    Weekday,
    Month,
    Year,
}

/// The functions PocketBase knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `geoDistance(lonA, latA, lonB, latB)`: exactly 4 number or identifier arguments.
    GeoDistance,
    /// `strftime(format, [timeValue, modifiers…])`: 1 to 10 arguments; the format and modifiers are
    /// strings, the time value a string, number or identifier.
    Strftime,
}

/// What a [`Path`] starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// A field of the filtered collection: `title`, `author.name`, `posts_via_author.title`, `meta.a.b`.
    Field,
    /// `@request.auth.<segments>`.
    RequestAuth,
    /// `@request.body.<segments>` (called `@request.data` before PocketBase 0.23).
    RequestBody,
    /// `@request.query.<segments>`.
    RequestQuery,
    /// `@request.headers.<segments>` (lowercase, `-` written as `_`).
    RequestHeaders,
    /// `@request.method`; no segments, no modifier.
    RequestMethod,
    /// `@request.context`; no segments, no modifier.
    RequestContext,
    /// `@collection.<name>[:<alias>].<segments>`; `name` may also be a collection id.
    Collection { name: String, alias: Option<String> },
}

/// A `:modifier` on the last path segment.
///
/// The parser accepts every modifier on every path that may have one; whether it means something
/// there is for the consumer to check (PocketBase: `:isset` and `:changed` on `@request.body.*`,
/// `:isset` on other `@request.*`, `:each`/`:length` on multi-value fields, `:lower` anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    Isset,
    Changed,
    Length,
    Each,
    Lower,
}

/// A byte range in the filter source, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

/// A dotted path such as `@request.body.tags:each` or `author.name`.
///
/// `==` ignores [`Path::span`], so ASTs compare equal however the source was laid out.
#[derive(Debug, Clone)]
pub struct Path {
    pub root: PathRoot,
    /// The dot-separated parts after the root, without the modifier. Never empty except for
    /// `RequestMethod`/`RequestContext`; each segment is non-empty ASCII `[A-Za-z0-9_]`.
    pub segments: Vec<String>,
    pub modifier: Option<Modifier>,
    /// Where the whole identifier (root, segments and modifier) is in the source.
    pub span: Span,
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        // The span is a diagnostic aid, not part of the meaning.
        self.root == other.root && self.segments == other.segments && self.modifier == other.modifier
    }
}

impl Op {
    /// Every operator, for tables and tests.
    pub const ALL: [Op; 16] = [
        Op::Eq,
        Op::Neq,
        Op::Like,
        Op::NotLike,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::AnyEq,
        Op::AnyNeq,
        Op::AnyLike,
        Op::AnyNotLike,
        Op::AnyLt,
        Op::AnyLte,
        Op::AnyGt,
        Op::AnyGte,
    ];

    /// Whether this is a `?` operator ("any value matches" instead of "all values match").
    pub fn is_any(self) -> bool {
        !matches!(self, Op::Eq | Op::Neq | Op::Like | Op::NotLike | Op::Lt | Op::Lte | Op::Gt | Op::Gte)
    }

    /// The same comparison without the `?` (e.g. `AnyLike` -> `Like`); the SQL comparison is the same,
    /// only the multi-value handling differs.
    pub fn without_any(self) -> Op {
        match self {
            Op::AnyEq => Op::Eq,
            Op::AnyNeq => Op::Neq,
            Op::AnyLike => Op::Like,
            Op::AnyNotLike => Op::NotLike,
            Op::AnyLt => Op::Lt,
            Op::AnyLte => Op::Lte,
            Op::AnyGt => Op::Gt,
            Op::AnyGte => Op::Gte,
            other => other,
        }
    }

    /// The operator as written in a filter, e.g. `?!~`.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Neq => "!=",
            Op::Like => "~",
            Op::NotLike => "!~",
            Op::Lt => "<",
            Op::Lte => "<=",
            Op::Gt => ">",
            Op::Gte => ">=",
            Op::AnyEq => "?=",
            Op::AnyNeq => "?!=",
            Op::AnyLike => "?~",
            Op::AnyNotLike => "?!~",
            Op::AnyLt => "?<",
            Op::AnyLte => "?<=",
            Op::AnyGt => "?>",
            Op::AnyGte => "?>=",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }
}

impl Macro {
    /// Every macro, for tables and tests.
    pub const ALL: [Macro; 16] = [
        Macro::Now,
        Macro::Yesterday,
        Macro::Tomorrow,
        Macro::TodayStart,
        Macro::TodayEnd,
        Macro::MonthStart,
        Macro::MonthEnd,
        Macro::YearStart,
        Macro::YearEnd,
        Macro::Second,
        Macro::Minute,
        Macro::Hour,
        Macro::Day,
        Macro::Weekday,
        Macro::Month,
        Macro::Year,
    ];

    /// The macro as written, e.g. `@todayStart`.
    pub fn as_str(self) -> &'static str {
        match self {
            Macro::Now => "@now",
            Macro::Yesterday => "@yesterday",
            Macro::Tomorrow => "@tomorrow",
            Macro::TodayStart => "@todayStart",
            Macro::TodayEnd => "@todayEnd",
            Macro::MonthStart => "@monthStart",
            Macro::MonthEnd => "@monthEnd",
            Macro::YearStart => "@yearStart",
            Macro::YearEnd => "@yearEnd",
            Macro::Second => "@second",
            Macro::Minute => "@minute",
            Macro::Hour => "@hour",
            Macro::Day => "@day",
            Macro::Weekday => "@weekday",
            Macro::Month => "@month",
            Macro::Year => "@year",
        }
    }

    /// Exact, case-sensitive lookup, as PocketBase's macro map does.
    pub(crate) fn from_name(s: &str) -> Option<Macro> {
        Macro::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl Function {
    /// The function name as written, e.g. `geoDistance`.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::GeoDistance => "geoDistance",
            Function::Strftime => "strftime",
        }
    }

    /// Exact, case-sensitive lookup, as PocketBase's function map does.
    pub(crate) fn from_name(s: &str) -> Option<Function> {
        [Function::GeoDistance, Function::Strftime].into_iter().find(|f| f.as_str() == s)
    }
}

impl Modifier {
    /// The modifier name without the colon, e.g. `isset`.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::Isset => "isset",
            Modifier::Changed => "changed",
            Modifier::Length => "length",
            Modifier::Each => "each",
            Modifier::Lower => "lower",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Modifier> {
        [Modifier::Isset, Modifier::Changed, Modifier::Length, Modifier::Each, Modifier::Lower]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

impl Expr {
    /// Every [`Path`] in the expression, left to right, including those inside function arguments.
    pub fn paths(&self) -> impl Iterator<Item = &Path> + '_ {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out.into_iter()
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            Expr::And(children) | Expr::Or(children) => {
                for child in children {
                    child.collect_paths(out);
                }
            }
            Expr::Compare { left, right, .. } => {
                left.collect_paths(out);
                right.collect_paths(out);
            }
        }
    }
}

impl Operand {
    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            Operand::Path(path) => out.push(path),
            Operand::Func { args, .. } => {
                for arg in args {
                    arg.collect_paths(out);
                }
            }
            _ => {}
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Compare { left, op, right } => write!(f, "{left} {} {right}", op.as_str()),
            Expr::And(children) => {
                write_joined(f, children, " && ", |child| matches!(child, Expr::And(_) | Expr::Or(_)))
            }
            // An `And` inside an `Or` needs no parentheses because `&&` binds tighter.
            Expr::Or(children) => write_joined(f, children, " || ", |child| matches!(child, Expr::Or(_))),
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    children: &[Expr],
    sep: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(child) {
            write!(f, "({child})")?;
        } else {
            write!(f, "{child}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Str(s) => write_quoted(f, s),
            // Rust prints finite floats as the shortest decimal that reads back to the same value and
            // never uses an exponent, which is exactly the number syntax the lexer accepts.
            Operand::Num(n) => write!(f, "{n}"),
            Operand::Bool(b) => write!(f, "{b}"),
            Operand::Null => f.write_str("null"),
            Operand::Macro(m) => f.write_str(m.as_str()),
            Operand::Path(p) => write!(f, "{p}"),
            Operand::Func { name, args } => {
                write!(f, "{}(", name.as_str())?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Quotes a string the way the lexer reads it back: the chosen quote and backslashes are escaped.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        if c == quote || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(quote);
    f.write_str(&out)
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match &self.root {
            PathRoot::Field => "",
            PathRoot::RequestAuth => "@request.auth.",
            PathRoot::RequestBody => "@request.body.",
            PathRoot::RequestQuery => "@request.query.",
            PathRoot::RequestHeaders => "@request.headers.",
            PathRoot::RequestMethod => "@request.method",
            PathRoot::RequestContext => "@request.context",
            PathRoot::Collection { name, alias } => {
                write!(f, "@collection.{name}")?;
                if let Some(alias) = alias {
                    write!(f, ":{alias}")?;
                }
                "."
            }
        };
        f.write_str(prefix)?;
        f.write_str(&self.segments.join("."))?;
        if let Some(m) = self.modifier {
            write!(f, ":{}", m.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
