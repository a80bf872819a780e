//! A tiny XML well-formedness checker for the SVG tests: one root element, tags nest and
//! close, attribute values quoted and unique per element, entities known (`&amp;` `&lt;`
//! `&gt;` `&quot;` `&apos;` and numeric), no stray `<` or `&` in text. Returns every
//! element with its attributes and text so tests can look for series.

/// An element as parsed: name, attributes (unescaped), the text directly inside it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';').ok_or("unterminated entity")? + amp;
        let entity = &rest[amp + 1..semi];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).map_err(|_| format!("bad entity &{entity};"))?
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().map_err(|_| format!("bad entity &{entity};"))?
                } else {
                    return Err(format!("unknown entity &{entity};"));
                };
                char::from_u32(code).ok_or(format!("bad code point &{entity};"))?
            }
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    if rest.contains('<') {
        return Err("stray '<'".into());
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_alphabetic() || f == '_' || f == ':')
        && c.all(|ch| ch.is_alphanumeric() || matches!(ch, '_' | ':' | '-' | '.'))
}

/// Check `doc`; all elements in document order.
pub(crate) fn check(doc: &str) -> Result<Vec<Element>, String> {
    let mut rest = doc.trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = &after[after.find("?>").ok_or("unterminated XML declaration")? + 2..];
    }
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut roots = 0;
    loop {
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() && open.is_empty() {
                return Err("text outside the root".into());
            }
            let text = unescape(rest)?;
            if let Some(&top) = open.last() {
                elements[top].text.push_str(&text);
            }
            break;
        };
        let text = unescape(&rest[..lt])?;
        match open.last() {
            Some(&top) => elements[top].text.push_str(&text),
            None if !text.trim().is_empty() => return Err("text outside the root".into()),
            None => {}
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").ok_or("unterminated comment")? + 3..];
            continue;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = open.pop().ok_or(format!("</{name}> closes nothing"))?;
            if elements[top].name != name.trim() {
                return Err(format!("</{name}> closes <{}>", elements[top].name));
            }
            continue;
        }
        let (tag, self_closing) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if !is_name(name) {
            return Err(format!("bad element name {name:?}"));
        }
        let mut attrs: Vec<(String, String)> = Vec::new();
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a
                .find('=')
                .ok_or(format!("attribute without value in <{name}>"))?;
            let key = a[..eq].trim();
            if !is_name(key) {
                return Err(format!("bad attribute name {key:?}"));
            }
            let v = a[eq + 1..].trim_start();
            let quote = v
                .chars()
                .next()
                .filter(|q| *q == '"' || *q == '\'')
                .ok_or(format!("unquoted attribute {key}"))?;
            let end = v[1..]
                .find(quote)
                .ok_or(format!("unterminated attribute {key}"))?
                + 1;
            let value = unescape(&v[1..end])?;
            if attrs.iter().any(|(k, _)| k == key) {
                return Err(format!("duplicate attribute {key} in <{name}>"));
            }
            attrs.push((key.to_owned(), value));
            a = v[end + 1..].trim_start();
        }
        if open.is_empty() {
            roots += 1;
            if roots > 1 {
                return Err("more than one root element".into());
            }
        }
        elements.push(Element {
            name: name.to_owned(),
            attrs,
            text: String::new(),
        });
        if !self_closing {
            open.push(elements.len() - 1);
        }
    }
    if let Some(&top) = open.last() {
        return Err(format!("<{}> is never closed", elements[top].name));
    }
    if roots == 0 {
        return Err("no root element".into());
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_and_rejects_the_rest() {
        let ok = check("<?xml version=\"1.0\"?>\n<svg a='1' b=\"x &amp; &#60;\"><!-- c --><g><text>a &lt; b</text></g><p/></svg>\n").unwrap();
        assert_eq!(ok.len(), 4);
        assert_eq!(ok[0].attr("b"), Some("x & <"));
        assert_eq!(ok[2].text, "a < b");
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<a x=1/>",
            "<a x='1' x='2'/>",
            "<a>&bogus;</a>",
            "<a>1 < 2</a>",
            "text<a/>",
            "<a><!-- </a>",
            "</a>",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
