//! Plain-text tables of answers, for people.

use std::fmt::Write as _;

use qubit_experiences::Answer;

/// The experiences of an answer as aligned columns, one per line.
pub fn answer(answer: &Answer) -> String {
    let mut rows = vec![[
        "EXPERIENCE".to_owned(),
        "VARIATION".to_owned(),
        "CONTROL".to_owned(),
        "PAYLOAD".to_owned(),
    ]];
    rows.extend(answer.iter().map(|experience| {
        [
            experience.id.to_string(),
            experience.variation_master_id.to_string(),
            if experience.is_control { "yes" } else { "no" }.to_owned(),
            compact_json(experience.payload.as_json()),
        ]
    }));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "context id {}{}",
        answer.context_id(),
        if answer.context_id_generated() {
            " (generated)"
        } else {
            ""
        }
    );
    if !answer.missing_experience_ids().is_empty() {
        let missing: Vec<String> = answer
            .missing_experience_ids()
            .iter()
            .map(u64::to_string)
            .collect();
        let _ = writeln!(out, "not served: {}", missing.join(", "));
    }
    match answer.is_empty() {
        true => out.push_str("  no experiences\n"),
        false => out.push_str(&aligned(&rows)),
    }
    out
}

/// Left-aligns every column but the last, two spaces apart.
fn aligned(rows: &[[String; 4]]) -> String {
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];

    let mut out = String::new();
    for row in rows {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:<w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    }
    out
}

/// Removes the white space between JSON tokens, leaving strings and
/// numbers exactly as they are (a parse would round big integers).
pub fn compact_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;

    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacting_keeps_strings_and_big_numbers() {
        assert_eq!(
            compact_json(
                "{ \"a b\" : [ 1 , 123456789012345678901234567890 ],\n \"q\\\" x\": \"ü \" }"
            ),
            "{\"a b\":[1,123456789012345678901234567890],\"q\\\" x\":\"ü \"}"
        );
    }
}
