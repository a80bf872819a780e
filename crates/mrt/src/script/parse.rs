//! Lines of text to [`Op`]s. Every syntax error is reported, not only the first.

use super::{Line, Op, ScriptError};

/// Parse a whole script. On success every non-blank, non-comment line becomes a
/// [`Line`]; otherwise all the lines that failed are reported, in order.
pub fn parse(source: &str) -> Result<Vec<Line>, Vec<ScriptError>> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (index, text) in source.lines().enumerate() {
        let number = index + 1;
        match parse_line(text) {
            Ok(Some(op)) => lines.push(Line { number, op }),
            Ok(None) => {}
            Err(message) => errors.push(ScriptError::new(number, message)),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// Strip a comment: `#` at the start of a word starts one (so `str A a#b` keeps `a#b`).
fn strip_comment(text: &str) -> &str {
    let mut prev_is_space = true;
    for (i, c) in text.char_indices() {
        if c == '#' && prev_is_space {
            return &text[..i];
        }
        prev_is_space = c.is_whitespace();
    }
    text
}

fn is_name(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn name(word: &str) -> Result<String, String> {
    if is_name(word) {
        Ok(word.to_string())
    } else {
        Err(format!(
            "'{word}' is not a valid name (letters, digits and _; not starting with a digit)"
        ))
    }
}

fn int(word: &str, what: &str) -> Result<i64, String> {
    word.parse::<i64>()
        .map_err(|_| format!("bad number '{word}': {what} must be an integer in the 64-bit range"))
}

/// Parse one line. `Ok(None)` for a blank or comment-only line; `Err` says what is wrong.
pub fn parse_line(text: &str) -> Result<Option<Op>, String> {
    let code = strip_comment(text);
    let words: Vec<&str> = code.split_whitespace().collect();
    let Some((&keyword, args)) = words.split_first() else {
        return Ok(None);
    };
    let arity = |n: usize, usage: &str| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of arguments for '{keyword}': expected {n} ({usage}), got {}",
                args.len()
            ))
        }
    };
    let op = match keyword {
        "list" | "dict" | "obj" | "set" | "pop" | "del" | "alive" => {
            arity(1, &format!("{keyword} NAME"))?;
            let a = name(args[0])?;
            match keyword {
                "list" => Op::List(a),
                "dict" => Op::Dict(a),
                "obj" => Op::Obj(a),
                "set" => Op::Set(a),
                "pop" => Op::Pop(a),
                "del" => Op::Del(a),
                _ => Op::Alive(a),
            }
        }
        "int" => {
            arity(2, "int NAME N")?;
            Op::Int(name(args[0])?, int(args[1], "N")?)
        }
        "float" => {
            arity(2, "float NAME X")?;
            let x: f64 = args[1]
                .parse()
                .map_err(|_| format!("bad number '{}': X must be a float", args[1]))?;
            Op::Float(name(args[0])?, x)
        }
        "str" => {
            if args.len() < 2 {
                return Err(format!(
                    "wrong number of arguments for 'str': expected a name and text (str NAME TEXT), got {}",
                    args.len()
                ));
            }
            // TEXT is the rest of the line after the name, inner spaces kept.
            let after_kw = code.trim_start()[keyword.len()..].trim_start();
            let text = after_kw[args[0].len()..].trim();
            Op::Str(name(args[0])?, text.to_string())
        }
        "tuple" => {
            if args.is_empty() {
                return Err(
                    "wrong number of arguments for 'tuple': expected a name and items (tuple NAME ITEM…)"
                        .to_string(),
                );
            }
            let items = args[1..]
                .iter()
                .map(|w| name(w))
                .collect::<Result<_, _>>()?;
            Op::Tuple(name(args[0])?, items)
        }
        "append" | "weak" => {
            arity(2, &format!("{keyword} NAME NAME"))?;
            let (a, b) = (name(args[0])?, name(args[1])?);
            if keyword == "append" {
                Op::Append(a, b)
            } else {
                Op::Weak(a, b)
            }
        }
        "setitem" => {
            arity(3, "setitem NAME KEY NAME")?;
            Op::SetItem(name(args[0])?, int(args[1], "KEY")?, name(args[2])?)
        }
        "setattr" => {
            arity(3, "setattr NAME ATTR NAME")?;
            Op::SetAttr(name(args[0])?, name(args[1])?, name(args[2])?)
        }
        "delitem" => {
            arity(2, "delitem NAME KEY")?;
            Op::DelItem(name(args[0])?, int(args[1], "KEY")?)
        }
        "collect" => match args {
            [] => Op::Collect(None),
            [g] => match g.parse::<u8>() {
                Ok(g @ 0..=2) => Op::Collect(Some(g)),
                _ => return Err(format!("bad generation '{g}': must be 0, 1 or 2")),
            },
            _ => {
                return Err(format!(
                    "wrong number of arguments for 'collect': expected 0 or 1 (collect [GEN]), got {}",
                    args.len()
                ));
            }
        },
        "threshold" => {
            arity(3, "threshold T0 T1 T2")?;
            let t = |w: &str| {
                w.parse::<u32>().map_err(|_| {
                    format!(
                        "bad number '{w}': thresholds must be integers from 0 to {}",
                        u32::MAX
                    )
                })
            };
            Op::Threshold(t(args[0])?, t(args[1])?, t(args[2])?)
        }
        "count" | "enable" | "disable" => {
            arity(0, keyword)?;
            match keyword {
                "count" => Op::Count,
                "enable" => Op::Enable,
                _ => Op::Disable,
            }
        }
        "trace" => match args {
            ["start", n] => match n.parse::<u16>() {
                Ok(n @ 1..) => Op::TraceStart(n),
                _ => {
                    return Err(format!(
                        "bad number '{n}': the number of frames must be in range [1; 65535]"
                    ));
                }
            },
            ["stop"] => Op::TraceStop,
            _ => return Err("expected 'trace start N' or 'trace stop'".to_string()),
        },
        "frame" => {
            arity(3, "frame FILE LINE FUNC")?;
            let line = args[1].parse::<u32>().map_err(|_| {
                format!(
                    "bad number '{}': LINE must be an integer from 0 to {}",
                    args[1],
                    u32::MAX
                )
            })?;
            Op::Frame(args[0].to_string(), line, args[2].to_string())
        }
        "snapshot" => {
            arity(1, "snapshot NAME")?;
            Op::Snapshot(name(args[0])?)
        }
        "compare" => {
            let top = match args.len() {
                2 => None,
                3 => Some(args[2].parse::<u32>().map_err(|_| {
                    format!(
                        "bad number '{}': TOP must be a non-negative integer",
                        args[2]
                    )
                })?),
                n => {
                    return Err(format!(
                        "wrong number of arguments for 'compare': expected 2 or 3 (compare OLD NEW [TOP]), got {n}"
                    ));
                }
            };
            Op::Compare(name(args[0])?, name(args[1])?, top)
        }
        "limit" => {
            arity(1, "limit BYTES")?;
            let n = args[0].parse::<u64>().map_err(|_| {
                format!(
                    "bad number '{}': BYTES must be a non-negative integer",
                    args[0]
                )
            })?;
            Op::Limit(n)
        }
        "monitor" => match args {
            ["sample"] => Op::MonitorSample,
            ["verdict"] => Op::MonitorVerdict,
            _ => return Err("expected 'monitor sample' or 'monitor verdict'".to_string()),
        },
        "endframe" | "census" | "report" => {
            arity(0, keyword)?;
            match keyword {
                "endframe" => Op::EndFrame,
                "census" => Op::Census,
                _ => Op::Report,
            }
        }
        other => return Err(format!("unknown op '{other}' (try 'help')")),
    };
    Ok(Some(op))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_parses() {
        let src = "\
# a comment
list A
dict D   # trailing comment
obj O
int I -42
str S hello  world
float F 2.5
tuple T A D
tuple E
set Z
append A O
setitem A 0 I
setitem D 7 A
setattr O x A
pop A
delitem D 7
weak W O
alive W
collect
collect 1
count
threshold 700 10 10
enable
disable

del A
trace start 5
frame app.py 12 main
snapshot S1
snapshot S2
compare S1 S2
compare S1 S2 3
endframe
census
report
limit 1048576
monitor sample
monitor verdict
trace stop
";
        let lines = parse(src).unwrap();
        assert_eq!(lines.len(), 37);
        assert_eq!(lines[25].op, Op::Frame("app.py".into(), 12, "main".into()));
        assert_eq!(lines[29].op, Op::Compare("S1".into(), "S2".into(), Some(3)));
        assert!(lines[24..].iter().all(|l| l.op.is_observability()));
        assert!(lines[..24].iter().all(|l| !l.op.is_observability()));
        assert_eq!(
            lines[0],
            Line {
                number: 2,
                op: Op::List("A".into())
            }
        );
        assert_eq!(lines[3].op, Op::Int("I".into(), -42));
        assert_eq!(lines[4].op, Op::Str("S".into(), "hello  world".into()));
        assert_eq!(
            lines[6].op,
            Op::Tuple("T".into(), vec!["A".into(), "D".into()])
        );
        assert_eq!(lines[7].op, Op::Tuple("E".into(), vec![]));
        assert_eq!(lines[17].op, Op::Collect(None));
        assert_eq!(lines[18].op, Op::Collect(Some(1)));
        assert_eq!(
            lines[23],
            Line {
                number: 26,
                op: Op::Del("A".into())
            }
        );
        // Display writes script syntax back.
        for line in &lines {
            assert_eq!(
                parse_line(&line.op.to_string()).unwrap().as_ref(),
                Some(&line.op)
            );
        }
    }

    #[test]
    fn hash_inside_a_word_is_text() {
        assert_eq!(
            parse_line("str A a#b # comment").unwrap(),
            Some(Op::Str("A".into(), "a#b".into()))
        );
    }

    #[test]
    fn all_errors_are_reported_with_lines() {
        let src = "list A\nfrobnicate A\nint B x\nappend A\ncollect 3\nlist 9a\nthreshold 1 2 -3\n";
        let errors = parse(src).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7]);
        assert!(errors[0].message.contains("unknown op 'frobnicate'"));
        assert!(errors[1].message.contains("bad number 'x'"));
        assert!(
            errors[2]
                .message
                .contains("wrong number of arguments for 'append'")
        );
        assert!(errors[3].message.contains("bad generation '3'"));
        assert!(errors[4].message.contains("'9a' is not a valid name"));
        assert!(errors[5].message.contains("bad number '-3'"));
        assert_eq!(
            errors[0].to_string(),
            "line 2: unknown op 'frobnicate' (try 'help')"
        );
    }

    #[test]
    fn observability_errors_name_the_problem() {
        for (src, want) in [
            ("trace start 0", "range [1; 65535]"),
            ("trace start 70000", "range [1; 65535]"),
            ("trace go", "expected 'trace start N' or 'trace stop'"),
            ("frame a.py x f", "bad number 'x'"),
            ("frame a.py 1", "wrong number of arguments for 'frame'"),
            ("compare A", "wrong number of arguments for 'compare'"),
            ("compare A B -1", "bad number '-1'"),
            ("limit lots", "bad number 'lots'"),
            ("monitor", "expected 'monitor sample' or 'monitor verdict'"),
            ("census now", "wrong number of arguments for 'census'"),
            ("snapshot 1x", "'1x' is not a valid name"),
        ] {
            let e = parse_line(src).unwrap_err();
            assert!(e.contains(want), "{src}: {e}");
        }
    }

    #[test]
    fn int_out_of_range_is_an_error() {
        assert!(
            parse_line("int A 9223372036854775808")
                .unwrap_err()
                .contains("bad number")
        );
        assert_eq!(
            parse_line("int A -9223372036854775808").unwrap(),
            Some(Op::Int("A".into(), i64::MIN))
        );
    }
}
