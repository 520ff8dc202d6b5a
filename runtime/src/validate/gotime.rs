//! PocketBase's date coercion (`types.ParseDateTime`): Go's `time.Parse` with PocketBase's own layout
//! `2006-01-02 15:04:05.000Z` first and then, on failure, the layouts `cast.ToTime` tries in order. The
//! result is a UTC instant; anything unparsable (and Go's zero time) is the empty date `""`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

/// A parsed instant (UTC).
pub(crate) type Instant = DateTime<Utc>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(&'static str),
    Year4,
    Year2,
    Month2,
    MonthName,
    Day2,
    DayUnder,
    Hour24,
    Hour12,
    Min2,
    Sec2,
    /// `.000`: exactly n digits.
    Frac0(usize),
    /// `.999999999`: optional, any number of digits.
    Frac9,
    Wday,
    WdayLong,
    Pm,
    TzName,
    /// `-0700`
    NumTz,
    /// `-07:00`
    NumColonTz,
    /// `Z0700`
    IsoTz,
    /// `Z07:00`
    IsoColonTz,
}

/// How `cast` treats the zone of a layout (`internal.TimeFormatType`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Zone {
    None,
    /// A zone name but no offset: cast keeps the wall clock and puts it in UTC.
    Named,
    Numeric,
    NumericAndNamed,
    TimeOnly,
}

use Tok::*;

const DEFAULT_LAYOUT: &[Tok] =
    &[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, Frac0(3), Lit("Z")];

/// `cast`'s `internal.TimeFormats`, in order.
const CAST_LAYOUTS: &[(&[Tok], Zone)] = &[
    // 2006-01-02
    (&[Year4, Lit("-"), Month2, Lit("-"), Day2], Zone::None),
    // RFC3339 2006-01-02T15:04:05Z07:00
    (
        &[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit("T"), Hour24, Lit(":"), Min2, Lit(":"), Sec2, IsoColonTz],
        Zone::Numeric,
    ),
    // 2006-01-02T15:04:05
    (&[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit("T"), Hour24, Lit(":"), Min2, Lit(":"), Sec2], Zone::None),
    // RFC1123Z Mon, 02 Jan 2006 15:04:05 -0700
    (
        &[
            Wday,
            Lit(", "),
            Day2,
            Lit(" "),
            MonthName,
            Lit(" "),
            Year4,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            NumTz,
        ],
        Zone::Numeric,
    ),
    // RFC1123 Mon, 02 Jan 2006 15:04:05 MST
    (
        &[
            Wday,
            Lit(", "),
            Day2,
            Lit(" "),
            MonthName,
            Lit(" "),
            Year4,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            TzName,
        ],
        Zone::Named,
    ),
    // RFC822Z 02 Jan 06 15:04 -0700
    (&[Day2, Lit(" "), MonthName, Lit(" "), Year2, Lit(" "), Hour24, Lit(":"), Min2, Lit(" "), NumTz], Zone::Numeric),
    // RFC822 02 Jan 06 15:04 MST
    (&[Day2, Lit(" "), MonthName, Lit(" "), Year2, Lit(" "), Hour24, Lit(":"), Min2, Lit(" "), TzName], Zone::Named),
    // RFC850 Monday, 02-Jan-06 15:04:05 MST
    (
        &[
            WdayLong,
            Lit(", "),
            Day2,
            Lit("-"),
            MonthName,
            Lit("-"),
            Year2,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            TzName,
        ],
        Zone::Named,
    ),
    // 2006-01-02 15:04:05.999999999 -0700 MST (Time.String())
    (
        &[
            Year4,
            Lit("-"),
            Month2,
            Lit("-"),
            Day2,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Frac9,
            Lit(" "),
            NumTz,
            Lit(" "),
            TzName,
        ],
        Zone::NumericAndNamed,
    ),
    // 2006-01-02T15:04:05-0700
    (
        &[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit("T"), Hour24, Lit(":"), Min2, Lit(":"), Sec2, NumTz],
        Zone::Numeric,
    ),
    // 2006-01-02 15:04:05Z0700
    (
        &[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, IsoTz],
        Zone::Numeric,
    ),
    // 2006-01-02 15:04:05
    (&[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2], Zone::None),
    // ANSIC Mon Jan _2 15:04:05 2006
    (
        &[
            Wday,
            Lit(" "),
            MonthName,
            Lit(" "),
            DayUnder,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            Year4,
        ],
        Zone::None,
    ),
    // UnixDate Mon Jan _2 15:04:05 MST 2006
    (
        &[
            Wday,
            Lit(" "),
            MonthName,
            Lit(" "),
            DayUnder,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            TzName,
            Lit(" "),
            Year4,
        ],
        Zone::Named,
    ),
    // RubyDate Mon Jan 02 15:04:05 -0700 2006
    (
        &[
            Wday,
            Lit(" "),
            MonthName,
            Lit(" "),
            Day2,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            NumTz,
            Lit(" "),
            Year4,
        ],
        Zone::Numeric,
    ),
    // 2006-01-02 15:04:05Z07:00
    (
        &[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, IsoColonTz],
        Zone::Numeric,
    ),
    // 02 Jan 2006
    (&[Day2, Lit(" "), MonthName, Lit(" "), Year4], Zone::None),
    // 2006-01-02 15:04:05 -07:00
    (
        &[
            Year4,
            Lit("-"),
            Month2,
            Lit("-"),
            Day2,
            Lit(" "),
            Hour24,
            Lit(":"),
            Min2,
            Lit(":"),
            Sec2,
            Lit(" "),
            NumColonTz,
        ],
        Zone::Numeric,
    ),
    // 2006-01-02 15:04:05 -0700
    (
        &[Year4, Lit("-"), Month2, Lit("-"), Day2, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, Lit(" "), NumTz],
        Zone::Numeric,
    ),
    // Kitchen 3:04PM
    (&[Hour12, Lit(":"), Min2, Pm], Zone::TimeOnly),
    // Stamp Jan _2 15:04:05
    (&[MonthName, Lit(" "), DayUnder, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2], Zone::TimeOnly),
    // StampMilli
    (&[MonthName, Lit(" "), DayUnder, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, Frac0(3)], Zone::TimeOnly),
    // StampMicro
    (&[MonthName, Lit(" "), DayUnder, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, Frac0(6)], Zone::TimeOnly),
    // StampNano
    (&[MonthName, Lit(" "), DayUnder, Lit(" "), Hour24, Lit(":"), Min2, Lit(":"), Sec2, Frac0(9)], Zone::TimeOnly),
];

const SHORT_MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// `types.ParseDateTime(raw)` for a decoded request value. `None` is the zero date (`""`).
pub(crate) fn parse_value(v: &Value) -> Option<Instant> {
    // Strings are parsed; numbers/bools become their string form (which matches no layout); anything else
    // is the zero time.
    match v {
        Value::String(s) => parse_str(s),
        Value::Number(_) | Value::Bool(_) => parse_str(&super::cast::to_string(v)),
        _ => None,
    }
}

/// Parses a date string as `types.DateTime.Scan` does. `None` is the zero date.
pub(crate) fn parse_str(s: &str) -> Option<Instant> {
    if s.is_empty() {
        return None;
    }
    let t = parse(DEFAULT_LAYOUT, s, Zone::Numeric)
        .or_else(|| CAST_LAYOUTS.iter().find_map(|(layout, zone)| parse(layout, s, *zone)))?;
    // Go's zero time (0001-01-01 00:00:00 UTC) serializes as "".
    if t == zero_time() { None } else { Some(t) }
}

fn zero_time() -> Instant {
    NaiveDate::from_ymd_opt(1, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()).unwrap_or_default()
}

/// `DateTime.String()`: `2024-05-01 10:00:00.000Z` (milliseconds truncated).
pub(crate) fn format(t: &Instant) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
}

/// `time.Time.String()` of a UTC time, as a date threshold appears in messages:
/// `2000-01-01 00:00:00 +0000 UTC`, `2030-06-15 12:30:00.25 +0000 UTC`.
pub(crate) fn go_string(t: &Instant) -> String {
    let frac = t.timestamp_subsec_nanos();
    let mut s = t.format("%Y-%m-%d %H:%M:%S").to_string();
    if frac > 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    s
}

/// `time.Time.MarshalJSON` (RFC 3339 with trimmed nanoseconds), as a threshold appears in params.
pub(crate) fn rfc3339_nano(t: &Instant) -> String {
    let frac = t.timestamp_subsec_nanos();
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if frac > 0 {
        s.push('.');
        s.push_str(format!("{frac:09}").trim_end_matches('0'));
    }
    s.push('Z');
    s
}

fn is_digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `getnum`: one or two digits (`fixed` requires two).
fn getnum(v: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(v, 0) {
        return None;
    }
    if !is_digit(v, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(v[0] - b'0'), &v[1..]));
    }
    Some((i64::from(v[0] - b'0') * 10 + i64::from(v[1] - b'0'), &v[2..]))
}

/// Go's `atoi`: optional sign, then only digits.
fn atoi(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut x: i64 = 0;
    for d in digits {
        x = x.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if neg { -x } else { x })
}

/// Go's `skip`: a layout literal against the value; a space matches a run of spaces.
fn skip<'v>(mut value: &'v [u8], prefix: &str) -> Option<&'v [u8]> {
    let mut prefix = prefix.as_bytes();
    while !prefix.is_empty() {
        if prefix[0] == b' ' {
            if !value.is_empty() && value[0] != b' ' {
                return None;
            }
            while prefix.first() == Some(&b' ') {
                prefix = &prefix[1..];
            }
            while value.first() == Some(&b' ') {
                value = &value[1..];
            }
            continue;
        }
        if value.is_empty() || value[0] != prefix[0] {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

/// Case-insensitive table lookup (`time.lookup`).
fn lookup<'v>(tab: &[&str], v: &'v [u8]) -> Option<(usize, &'v [u8])> {
    tab.iter().enumerate().find_map(|(i, name)| {
        (v.len() >= name.len() && v[..name.len()].eq_ignore_ascii_case(name.as_bytes())).then(|| (i, &v[name.len()..]))
    })
}

/// Go's `parseNanoseconds` for `value[0..nbytes]` = separator + digits.
fn parse_nanos(value: &[u8], nbytes: usize) -> Option<i64> {
    if value[0] != b'.' && value[0] != b',' {
        return None;
    }
    let nbytes = nbytes.min(10);
    let mut ns = atoi(&value[1..nbytes])?;
    if ns < 0 {
        return None;
    }
    for _ in 0..(10 - nbytes) {
        ns *= 10;
    }
    Some(ns)
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `v`.
fn parse_time_zone(v: &[u8]) -> Option<usize> {
    if v.len() < 3 {
        return None;
    }
    if v.len() >= 4 && (&v[..4] == b"ChST" || &v[..4] == b"MeST") {
        return Some(4);
    }
    if &v[..3] == b"GMT" {
        let rest = &v[3..];
        if rest.is_empty() {
            return Some(3);
        }
        return Some(3 + parse_signed_offset(rest));
    }
    if v[0] == b'+' || v[0] == b'-' {
        let n = parse_signed_offset(v);
        return (n > 0).then_some(n);
    }
    let mut upper = 0;
    while upper < 6 && upper < v.len() && v[upper].is_ascii_uppercase() {
        upper += 1;
    }
    match upper {
        3 => Some(3),
        4 if v[3] == b'T' || &v[..4] == b"WITA" => Some(4),
        5 if v[4] == b'T' => Some(5),
        _ => None,
    }
}

fn parse_signed_offset(v: &[u8]) -> usize {
    if v.is_empty() || (v[0] != b'-' && v[0] != b'+') {
        return 0;
    }
    let digits = v[1..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return 0;
    }
    match std::str::from_utf8(&v[1..1 + digits]).ok().and_then(|s| s.parse::<u64>().ok()) {
        Some(x) if x <= 24 => 1 + digits,
        _ => 0,
    }
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 => {
            if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `time.parse` for one layout, then `cast`'s zone handling. Returns the UTC instant.
fn parse(layout: &[Tok], value: &str, zone: Zone) -> Option<Instant> {
    let mut v = value.as_bytes();
    let (mut year, mut month, mut day) = (0i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let (mut pm, mut am) = (false, false);
    let mut utc_named = false; // `z = UTC` in Go (a `Z` or a `UTC` zone name)
    let mut offset: Option<i64> = None;

    for (idx, tok) in layout.iter().enumerate() {
        match *tok {
            Lit(s) => v = skip(v, s)?,
            Year4 => {
                if v.len() < 4 || !is_digit(v, 0) {
                    return None;
                }
                year = atoi(&v[..4])?;
                v = &v[4..];
            }
            Year2 => {
                if v.len() < 2 {
                    return None;
                }
                year = atoi(&v[..2])?;
                year += if year >= 69 { 1900 } else { 2000 };
                v = &v[2..];
            }
            Month2 => {
                let (m, rest) = getnum(v, true)?;
                if !(1..=12).contains(&m) {
                    return None;
                }
                month = m;
                v = rest;
            }
            MonthName => {
                let (m, rest) = lookup(&SHORT_MONTHS, v)?;
                month = m as i64 + 1;
                v = rest;
            }
            Day2 | DayUnder => {
                if *tok == DayUnder && v.first() == Some(&b' ') {
                    v = &v[1..];
                }
                let (d, rest) = getnum(v, *tok == Day2)?;
                day = d;
                v = rest;
            }
            Hour24 => {
                let (h, rest) = getnum(v, false)?;
                if !(0..24).contains(&h) {
                    return None;
                }
                hour = h;
                v = rest;
            }
            Hour12 => {
                let (h, rest) = getnum(v, false)?;
                if !(0..=12).contains(&h) {
                    return None;
                }
                hour = h;
                v = rest;
            }
            Min2 => {
                let (m, rest) = getnum(v, true)?;
                if !(0..60).contains(&m) {
                    return None;
                }
                min = m;
                v = rest;
            }
            Sec2 => {
                let (s, rest) = getnum(v, true)?;
                if !(0..60).contains(&s) {
                    return None;
                }
                sec = s;
                v = rest;
                // A fractional second in the value although the layout has none right after the seconds.
                let next_std = layout[idx + 1..].iter().find(|t| !matches!(t, Lit(_)));
                if v.len() >= 2
                    && (v[0] == b'.' || v[0] == b',')
                    && is_digit(v, 1)
                    && !matches!(next_std, Some(Frac0(_)) | Some(Frac9))
                {
                    let mut n = 2;
                    while is_digit(v, n) {
                        n += 1;
                    }
                    nsec = parse_nanos(v, n)?;
                    v = &v[n..];
                }
            }
            Frac0(digits) => {
                let n = 1 + digits;
                if v.len() < n {
                    return None;
                }
                nsec = parse_nanos(v, n)?;
                v = &v[n..];
            }
            Frac9 => {
                if v.len() < 2 || (v[0] != b'.' && v[0] != b',') || !is_digit(v, 1) {
                    continue;
                }
                let mut i = 0;
                while i + 1 < v.len() && v[i + 1].is_ascii_digit() {
                    i += 1;
                }
                nsec = parse_nanos(v, 1 + i)?;
                v = &v[1 + i..];
            }
            Wday => v = lookup(&SHORT_DAYS, v)?.1,
            WdayLong => v = lookup(&LONG_DAYS, v)?.1,
            Pm => {
                if v.len() < 2 {
                    return None;
                }
                match &v[..2] {
                    b"PM" => pm = true,
                    b"AM" => am = true,
                    _ => return None,
                }
                v = &v[2..];
            }
            TzName => {
                if v.len() >= 3 && &v[..3] == b"UTC" {
                    utc_named = true;
                    v = &v[3..];
                } else {
                    let n = parse_time_zone(v)?;
                    v = &v[n..];
                }
            }
            IsoTz | IsoColonTz | NumTz | NumColonTz => {
                if matches!(tok, IsoTz | IsoColonTz) && v.first() == Some(&b'Z') {
                    v = &v[1..];
                    utc_named = true;
                    continue;
                }
                let colon = matches!(tok, IsoColonTz | NumColonTz);
                let (sign, hh, mm, rest) = if colon {
                    if v.len() < 6 || v[3] != b':' {
                        return None;
                    }
                    (v[0], &v[1..3], &v[4..6], &v[6..])
                } else {
                    if v.len() < 5 {
                        return None;
                    }
                    (v[0], &v[1..3], &v[3..5], &v[5..])
                };
                let (hr, _) = getnum(hh, true)?;
                let (mi, _) = getnum(mm, true)?;
                if hr > 24 || mi > 60 {
                    return None;
                }
                let off = (hr * 60 + mi) * 60;
                offset = Some(match sign {
                    b'+' => off,
                    b'-' => -off,
                    _ => return None,
                });
                v = rest;
            }
        }
    }
    if !v.is_empty() {
        return None; // extra text
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if month < 0 {
        month = 1;
    }
    if day < 0 {
        day = 1;
    }
    if day < 1 || day > days_in(month, year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month as u32, day as u32)?;
    let wall = date.and_hms_nano_opt(hour as u32, min as u32, sec as u32, nsec as u32)?.and_utc();
    // Go: a `Z`/`UTC` zone wins over a numeric offset; cast then puts zone-name-only layouts into UTC
    // keeping the wall clock, which is what ignoring the (zero) offset of a name does here.
    let offset = if utc_named || zone == Zone::Named { 0 } else { offset.unwrap_or(0) };
    Some(wall - Duration::seconds(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parse_str(s).map(|t| format(&t)).unwrap_or_default()
    }

    #[test]
    fn layouts() {
        assert_eq!(p("2024-05-01 10:00:00.000Z"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("2024-05-01T10:00:00Z"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("2024-05-01"), "2024-05-01 00:00:00.000Z");
        assert_eq!(p("2024-05-01T10:00:00+02:00"), "2024-05-01 08:00:00.000Z");
        assert_eq!(p("2024-05-01T10:00:00.123456789-01:30"), "2024-05-01 11:30:00.123Z");
        assert_eq!(p("2024-05-01 10:00:00"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("2024-05-01 10:00:00.5Z"), "2024-05-01 10:00:00.500Z");
        assert_eq!(p("2024-05-01 10:00:00.1234Z"), "2024-05-01 10:00:00.123Z");
        assert_eq!(p("2024-05-01 10:00:00 +0200"), "2024-05-01 08:00:00.000Z");
        assert_eq!(p("2024-05-01 10:00:00 -07:00"), "2024-05-01 17:00:00.000Z");
        assert_eq!(p("2024-05-01 10:00:00 +0200 UTC"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("2024-05-01 10:00:00 +0200 CEST"), "2024-05-01 08:00:00.000Z");
        assert_eq!(p("Wed, 01 May 2024 10:00:00 +0200"), "2024-05-01 08:00:00.000Z");
        assert_eq!(p("Wed, 01 May 2024 10:00:00 PST"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("01 May 24 10:00 +0100"), "2024-05-01 09:00:00.000Z");
        assert_eq!(p("Wednesday, 01-May-24 10:00:00 UTC"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("Wed May  1 10:00:00 2024"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("Wed May 1 10:00:00 2024"), "2024-05-01 10:00:00.000Z");
        assert_eq!(p("Wed May 01 10:00:00 +0200 2024"), "2024-05-01 08:00:00.000Z");
        assert_eq!(p("01 May 2024"), "2024-05-01 00:00:00.000Z");
        assert_eq!(p("01 may 2024"), "2024-05-01 00:00:00.000Z");
        assert_eq!(p("3:04PM"), "0000-01-01 15:04:00.000Z");
        assert_eq!(p("12:04AM"), "0000-01-01 00:04:00.000Z");
        assert_eq!(p("Jan  2 15:04:05"), "0000-01-02 15:04:05.000Z");
        assert_eq!(p("2024-05-01T1:00:00Z"), "2024-05-01 01:00:00.000Z");
    }

    #[test]
    fn garbage_and_zero() {
        for s in [
            "",
            "garbage",
            "2024-5-01",
            "2024-02-30",
            "2024-13-01",
            "2024-05-01T24:00:00Z",
            "2024-05-01 10:00:60",
            "0001-01-01 00:00:00.000Z",
            "0001-01-01",
            "2024-05-01T10:00:00z",
            " 2024-05-01",
            "2024-05-01 ",
            "1714557600",
        ] {
            assert_eq!(p(s), "", "{s:?}");
        }
        assert_eq!(p("2024-02-29"), "2024-02-29 00:00:00.000Z");
        assert_eq!(p("2024-05-01 10:00:00.5"), "2024-05-01 10:00:00.500Z");
    }

    #[test]
    fn go_strings() {
        let t = parse_str("2030-06-15 12:30:00.250Z").unwrap();
        assert_eq!(go_string(&t), "2030-06-15 12:30:00.25 +0000 UTC");
        assert_eq!(rfc3339_nano(&t), "2030-06-15T12:30:00.25Z");
        let t = parse_str("2000-01-01 00:00:00.000Z").unwrap();
        assert_eq!(go_string(&t), "2000-01-01 00:00:00 +0000 UTC");
        assert_eq!(rfc3339_nano(&t), "2000-01-01T00:00:00Z");
    }
}
