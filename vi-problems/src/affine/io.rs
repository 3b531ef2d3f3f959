//! Reading matrices and vectors from text files, so that users can bring a problem without
//! writing Rust.
//!
//! | format | recognised by | stored as |
//! |---|---|---|
//! | Matrix Market `coordinate real\|integer general\|symmetric\|skew-symmetric` | first line `%%MatrixMarket` | sparse triplets |
//! | Matrix Market `array real\|integer general\|symmetric\|skew-symmetric` | first line `%%MatrixMarket` | dense |
//! | plain rows: numbers separated by whitespace and/or commas, one row per line | anything else | dense |
//!
//! Plain files may contain comment lines starting with `#` or `%` and blank lines. A vector file
//! holds numbers separated by whitespace, commas or newlines, or is a one-column (or one-row)
//! Matrix Market matrix. Every failure is an [`Error::File`] naming the path and, where there is
//! one, the line (1-based) that is wrong.

use faer::sparse::Triplet;
use faer::Mat;
use vi_core::memory::{self, Size};
use vi_core::{Error, Result};

/// A matrix read from a file: dense (array and plain formats) or sparse triplets (coordinate
/// format; symmetric and skew-symmetric storage already expanded to the full matrix).
#[derive(Clone, Debug)]
pub enum MatrixData {
    /// A dense matrix.
    Dense(Mat<f64>),
    /// A sparse matrix given by `(row, col, value)` triplets, 0-based; duplicates are summed.
    Sparse {
        /// Number of rows.
        nrows: usize,
        /// Number of columns.
        ncols: usize,
        /// The entries.
        triplets: Vec<Triplet<usize, usize, f64>>,
    },
}

impl MatrixData {
    /// `(rows, columns)`.
    pub fn shape(&self) -> (usize, usize) {
        match self {
            MatrixData::Dense(m) => (m.nrows(), m.ncols()),
            MatrixData::Sparse { nrows, ncols, .. } => (*nrows, *ncols),
        }
    }

    /// The dense matrix (densifies sparse data); `path` names the file in errors.
    ///
    /// # Errors
    /// [`Error::File`] when `rows x columns` values do not fit the memory limit
    /// ([`vi_core::memory`]): a sparse header may declare a huge matrix with few entries.
    pub fn to_dense(&self, path: &str) -> Result<Mat<f64>> {
        match self {
            MatrixData::Dense(m) => Ok(m.clone()),
            MatrixData::Sparse { nrows, ncols, triplets } => {
                let bytes = (Size::of(*nrows) * *ncols).f64s();
                memory::check_file(path, format_args!("a dense copy of the {nrows} x {ncols} matrix"), bytes.get())?;
                let mut m = Mat::zeros(*nrows, *ncols);
                for t in triplets {
                    m[(t.row, t.col)] += t.val;
                }
                Ok(m)
            }
        }
    }
}

fn file_err(path: &str, reason: impl Into<String>) -> Error {
    Error::File { path: path.to_string(), reason: reason.into() }
}

/// Reads a whole file after checking its length against the memory limit.
fn read_text(path: &str) -> Result<String> {
    let len = std::fs::metadata(path).map_err(|e| file_err(path, e.to_string()))?.len();
    memory::check_file(path, format_args!("reading this {len}-byte file"), Some(len))?;
    std::fs::read_to_string(path).map_err(|e| file_err(path, e.to_string()))
}

/// Reads a matrix file (Matrix Market or plain rows).
///
/// # Errors
/// [`Error::File`] when the file cannot be read or parsed.
pub fn read_matrix(path: &str) -> Result<MatrixData> {
    parse_matrix(&read_text(path)?, path)
}

/// Reads a vector file (plain numbers or a one-column / one-row Matrix Market matrix).
///
/// # Errors
/// [`Error::File`] when the file cannot be read or parsed.
pub fn read_vector(path: &str) -> Result<Vec<f64>> {
    parse_vector(&read_text(path)?, path)
}

/// Parses a matrix from text; `path` is only used in error messages.
///
/// Sizes in a header are checked against the text before anything is allocated: a declared
/// entry or value count must equal the count in the file, and the matrix must fit the memory
/// limit ([`vi_core::memory`]).
///
/// # Errors
/// [`Error::File`] naming the line that is wrong.
pub fn parse_matrix(text: &str, path: &str) -> Result<MatrixData> {
    if text.trim_start().starts_with("%%MatrixMarket") {
        parse_matrix_market(text, path)
    } else {
        parse_plain_rows(text, path)
    }
}

/// Parses a vector from text; `path` is only used in error messages.
///
/// # Errors
/// [`Error::File`] naming the line that is wrong, or a Matrix Market matrix with more than one
/// column and more than one row.
pub fn parse_vector(text: &str, path: &str) -> Result<Vec<f64>> {
    if text.trim_start().starts_with("%%MatrixMarket") {
        let data = parse_matrix_market(text, path)?;
        let (r, c) = data.shape();
        if r != 1 && c != 1 {
            return Err(file_err(path, format!("a vector must have one column or one row, found a {r} x {c} matrix")));
        }
        return Ok(match data {
            MatrixData::Dense(m) if c == 1 => (0..r).map(|i| m[(i, 0)]).collect(),
            MatrixData::Dense(m) => (0..c).map(|j| m[(0, j)]).collect(),
            MatrixData::Sparse { triplets, .. } => {
                let len = r.max(c);
                memory::check_file(path, format_args!("a vector of {len} entries"), Size::of(len).f64s().get())?;
                let mut v = vec![0.0; len];
                for t in &triplets {
                    v[t.row.max(t.col)] += t.val;
                }
                v
            }
        });
    }
    let mut v = Vec::new();
    for (line_no, line) in content_lines(text) {
        for tok in tokens(line) {
            v.push(number(tok, line_no, path)?);
        }
    }
    if v.is_empty() {
        return Err(file_err(path, "no numbers found (expected a vector)"));
    }
    Ok(v)
}

/// Non-blank, non-comment lines with their 1-based numbers.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with(['#', '%']))
}

fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty())
}

fn number(tok: &str, line: usize, path: &str) -> Result<f64> {
    match tok.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(file_err(path, format!("line {line}: non-finite value `{tok}`"))),
        Err(_) => Err(file_err(path, format!("line {line}: `{tok}` is not a number"))),
    }
}

fn index(tok: &str, line: usize, path: &str, what: &str, max: usize) -> Result<usize> {
    let i: usize = tok
        .parse()
        .map_err(|_| file_err(path, format!("line {line}: {what} index `{tok}` is not a positive integer")))?;
    if i == 0 || i > max {
        return Err(file_err(path, format!("line {line}: {what} index {i} is out of range 1..={max}")));
    }
    Ok(i - 1)
}

fn parse_plain_rows(text: &str, path: &str) -> Result<MatrixData> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut first_line = 0;
    for (line_no, line) in content_lines(text) {
        let row = tokens(line).map(|t| number(t, line_no, path)).collect::<Result<Vec<f64>>>()?;
        if let Some(first) = rows.first() {
            if row.len() != first.len() {
                return Err(file_err(
                    path,
                    format!(
                        "line {line_no}: row has {} entries, but the first row (line {first_line}) has {}",
                        row.len(),
                        first.len()
                    ),
                ));
            }
        } else {
            first_line = line_no;
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(file_err(path, "no matrix rows found (empty file?)"));
    }
    let (m, n) = (rows.len(), rows[0].len());
    Ok(MatrixData::Dense(Mat::from_fn(m, n, |i, j| rows[i][j])))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Symmetry {
    General,
    Symmetric,
    Skew,
}

impl Symmetry {
    /// The header word.
    fn name(self) -> &'static str {
        match self {
            Symmetry::General => "general",
            Symmetry::Symmetric => "symmetric",
            Symmetry::Skew => "skew-symmetric",
        }
    }

    /// The first stored row of column `j` (column-major storage of the array format).
    fn first_row(self, j: usize) -> usize {
        match self {
            Symmetry::General => 0,
            Symmetry::Symmetric => j,
            Symmetry::Skew => j + 1,
        }
    }

    /// How many values an `nrows x ncols` array stores (`None` beyond 64 bits).
    fn stored_values(self, nrows: usize, ncols: usize) -> Option<u64> {
        let n = Size::of(nrows);
        match self {
            Symmetry::General => (n * ncols).get(),
            // n (n + 1) / 2 and n (n - 1) / 2, without overflowing before the division.
            Symmetry::Symmetric => (Size::of(nrows / 2 + nrows % 2) * (nrows - nrows % 2 + 1)).get(),
            Symmetry::Skew if nrows == 0 => Some(0),
            Symmetry::Skew => {
                let (a, b) = if nrows.is_multiple_of(2) { (nrows / 2, nrows - 1) } else { (nrows, (nrows - 1) / 2) };
                (Size::of(a) * b).get()
            }
        }
    }
}

/// The header line `%%MatrixMarket matrix <coordinate|array> <real|integer> <symmetry>`.
struct Header {
    /// Coordinate (sparse triplets) rather than array (dense, column-major).
    coordinate: bool,
    sym: Symmetry,
}

impl Header {
    fn parse(line_no: usize, line: &str, path: &str) -> Result<Self> {
        let words: Vec<String> = line.split_whitespace().take(6).map(str::to_ascii_lowercase).collect();
        if words.len() != 5 || words[1] != "matrix" {
            return Err(file_err(
                path,
                format!("line {line_no}: expected `%%MatrixMarket matrix <coordinate|array> <real|integer> <general|symmetric|skew-symmetric>`"),
            ));
        }
        let coordinate = match words[2].as_str() {
            "coordinate" => true,
            "array" => false,
            other => {
                return Err(file_err(
                    path,
                    format!("line {line_no}: format `{other}` is not supported; valid: coordinate, array"),
                ))
            }
        };
        match words[3].as_str() {
            "real" | "integer" | "double" => {}
            other => {
                return Err(file_err(
                    path,
                    format!("line {line_no}: field `{other}` is not supported; valid: real, integer"),
                ))
            }
        }
        let sym = match words[4].as_str() {
            "general" => Symmetry::General,
            "symmetric" => Symmetry::Symmetric,
            "skew-symmetric" => Symmetry::Skew,
            other => {
                return Err(file_err(
                    path,
                    format!(
                        "line {line_no}: symmetry `{other}` is not supported; valid: general, symmetric, skew-symmetric"
                    ),
                ))
            }
        };
        Ok(Self { coordinate, sym })
    }
}

/// The size line: `rows columns entries` (coordinate) or `rows columns` (array).
#[derive(Clone, Copy)]
struct Dims {
    line: usize,
    nrows: usize,
    ncols: usize,
    /// Declared entries (coordinate format; 0 for arrays).
    nnz: usize,
}

impl Dims {
    fn parse(size: Option<(usize, &str)>, header: &Header, path: &str) -> Result<Self> {
        let (size_line, size) = size.ok_or_else(|| file_err(path, "missing the size line after the header"))?;
        let want = if header.coordinate { 3 } else { 2 };
        let fields: Vec<&str> = tokens(size).collect();
        if fields.len() != want {
            return Err(file_err(
                path,
                format!(
                    "line {size_line}: size line must hold {} integers ({}), found {}",
                    want,
                    if header.coordinate { "rows columns entries" } else { "rows columns" },
                    fields.len()
                ),
            ));
        }
        let mut dims = [0usize; 3];
        for (d, t) in dims.iter_mut().zip(&fields) {
            *d = t.parse().map_err(|_| {
                file_err(path, format!("line {size_line}: size `{t}` is not a whole number in 0..={}", usize::MAX))
            })?;
        }
        let (nrows, ncols) = (dims[0], dims[1]);
        if nrows == 0 || ncols == 0 {
            return Err(file_err(path, format!("line {size_line}: empty matrix ({nrows} x {ncols})")));
        }
        if header.sym != Symmetry::General && nrows != ncols {
            return Err(file_err(
                path,
                format!("line {size_line}: a {} matrix must be square, found {nrows} x {ncols}", header.sym.name()),
            ));
        }
        Ok(Self { line: size_line, nrows, ncols, nnz: dims[2] })
    }
}

fn parse_matrix_market(text: &str, path: &str) -> Result<MatrixData> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let (header_line, header) = lines.find(|(_, l)| !l.is_empty()).unwrap_or((1, ""));
    let header = Header::parse(header_line, header, path)?;
    let mut body = lines.filter(|(_, l)| !l.is_empty() && !l.starts_with('%'));
    let dims = Dims::parse(body.next(), &header, path)?;
    if header.coordinate {
        read_coordinate(body, header.sym, dims, path)
    } else {
        read_array(body, header.sym, dims, path)
    }
}

/// The entry lines of the coordinate format as triplets, symmetric storage expanded. The
/// header's entry count is a claim: the entry lines are counted before anything is allocated.
fn read_coordinate<'a>(
    body: impl Iterator<Item = (usize, &'a str)> + Clone,
    sym: Symmetry,
    dims: Dims,
    path: &str,
) -> Result<MatrixData> {
    let Dims { line: size_line, nrows, ncols, nnz } = dims;
    let found = body.clone().count();
    if found < nnz {
        return Err(file_err(
            path,
            format!("line {size_line}: the size line declares {nnz} entries, but the file has {found} entry lines"),
        ));
    }
    if let Some((line_no, _)) = body.clone().nth(nnz) {
        return Err(file_err(
            path,
            format!("line {line_no}: more entries than the {nnz} declared on line {size_line} (the file has {found} entry lines)"),
        ));
    }
    let stored = if sym == Symmetry::General { nnz } else { nnz.saturating_mul(2) };
    memory::check_file(
        path,
        format_args!("{nnz} entries"),
        (Size::of(stored) * std::mem::size_of::<Triplet<usize, usize, f64>>()).get(),
    )?;
    let mut triplets = Vec::with_capacity(stored);
    for (line_no, line) in body {
        let mut t = tokens(line);
        let (Some(ti), Some(tj), Some(tv), None) = (t.next(), t.next(), t.next(), t.next()) else {
            return Err(file_err(
                path,
                format!("line {line_no}: expected `row column value`, found {} fields", tokens(line).count()),
            ));
        };
        let i = index(ti, line_no, path, "row", nrows)?;
        let j = index(tj, line_no, path, "column", ncols)?;
        let v = number(tv, line_no, path)?;
        push_entry(&mut triplets, sym, (i, j, v), line_no, path)?;
    }
    Ok(MatrixData::Sparse { nrows, ncols, triplets })
}

/// Adds entry `(i, j, v)` and, for symmetric storage, its mirror image.
fn push_entry(
    triplets: &mut Vec<Triplet<usize, usize, f64>>,
    sym: Symmetry,
    (i, j, v): (usize, usize, f64),
    line_no: usize,
    path: &str,
) -> Result<()> {
    match sym {
        Symmetry::General => triplets.push(Triplet::new(i, j, v)),
        Symmetry::Symmetric => {
            triplets.push(Triplet::new(i, j, v));
            if i != j {
                triplets.push(Triplet::new(j, i, v));
            }
        }
        Symmetry::Skew => {
            if i == j {
                if v != 0.0 {
                    return Err(file_err(
                        path,
                        format!("line {line_no}: diagonal entry {v} in a skew-symmetric matrix"),
                    ));
                }
                return Ok(());
            }
            triplets.push(Triplet::new(i, j, v));
            triplets.push(Triplet::new(j, i, -v));
        }
    }
    Ok(())
}

/// The values of the array format: column-major; symmetric storage holds the lower triangle
/// (with the diagonal), skew-symmetric storage the strictly lower triangle. They are counted
/// before anything is allocated.
fn read_array<'a>(
    body: impl Iterator<Item = (usize, &'a str)> + Clone,
    sym: Symmetry,
    dims: Dims,
    path: &str,
) -> Result<MatrixData> {
    let Dims { line: size_line, nrows, ncols, .. } = dims;
    let expected = sym.stored_values(nrows, ncols);
    let found: u64 = body.clone().map(|(_, l)| tokens(l).count() as u64).sum();
    if expected != Some(found) {
        let expected = expected.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string());
        return Err(file_err(
            path,
            format!(
                "line {size_line}: a {nrows} x {ncols} {} array stores {expected} values, but the file has {found}",
                sym.name()
            ),
        ));
    }
    let bytes = (Size::of(nrows) * ncols).f64s();
    memory::check_file(path, format_args!("a {nrows} x {ncols} array"), bytes.get())?;
    let mut m = Mat::<f64>::zeros(nrows, ncols);
    let mut positions = (0..ncols).flat_map(|j| (sym.first_row(j).min(nrows)..nrows).map(move |i| (i, j)));
    for (line_no, line) in body {
        for tok in tokens(line) {
            let v = number(tok, line_no, path)?;
            let Some((i, j)) = positions.next() else { break };
            m[(i, j)] = v;
            match sym {
                Symmetry::General => {}
                Symmetry::Symmetric => m[(j, i)] = v,
                Symmetry::Skew => m[(j, i)] = -v,
            }
        }
    }
    Ok(MatrixData::Dense(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn plain_rows_with_commas_and_comments() {
        let m = parse_matrix("# payoff\n1, 2 3\n\n-4 5.5,6\n", "p.txt").unwrap().to_dense("t").unwrap();
        assert_eq!((m.nrows(), m.ncols()), (2, 3));
        assert_eq!((m[(0, 1)], m[(1, 0)], m[(1, 2)]), (2.0, -4.0, 6.0));
    }

    #[test]
    fn plain_rows_errors_name_the_line() {
        assert_eq!(
            err(parse_matrix("1 2\n3\n", "a.txt")),
            "cannot read `a.txt`: line 2: row has 1 entries, but the first row (line 1) has 2"
        );
        assert_eq!(err(parse_matrix("1 2\n3 x\n", "a.txt")), "cannot read `a.txt`: line 2: `x` is not a number");
        assert_eq!(err(parse_matrix("# only\n", "a.txt")), "cannot read `a.txt`: no matrix rows found (empty file?)");
        assert_eq!(err(parse_matrix("1 inf\n", "a.txt")), "cannot read `a.txt`: line 1: non-finite value `inf`");
    }

    #[test]
    fn coordinate_general_symmetric_skew() {
        let g = "%%MatrixMarket matrix coordinate real general\n% c\n2 3 2\n1 3 4.5\n2 1 -1\n";
        let m = parse_matrix(g, "g").unwrap();
        assert!(matches!(m, MatrixData::Sparse { .. }));
        let d = m.to_dense("g").unwrap();
        assert_eq!((d.nrows(), d.ncols(), d[(0, 2)], d[(1, 0)], d[(0, 0)]), (2, 3, 4.5, -1.0, 0.0));
        let s = "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 2\n2 1 3\n";
        let d = parse_matrix(s, "s").unwrap().to_dense("t").unwrap();
        assert_eq!((d[(0, 0)], d[(0, 1)], d[(1, 0)], d[(1, 1)]), (2.0, 3.0, 3.0, 0.0));
        let k = "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3\n";
        let d = parse_matrix(k, "k").unwrap().to_dense("t").unwrap();
        assert_eq!((d[(0, 1)], d[(1, 0)]), (-3.0, 3.0));
    }

    #[test]
    fn array_formats_are_column_major() {
        let g = "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n";
        let d = parse_matrix(g, "g").unwrap().to_dense("t").unwrap();
        assert_eq!((d[(0, 0)], d[(1, 0)], d[(0, 1)], d[(1, 1)]), (1.0, 2.0, 3.0, 4.0));
        let s = "%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n4\n";
        let d = parse_matrix(s, "s").unwrap().to_dense("t").unwrap();
        assert_eq!((d[(0, 0)], d[(1, 0)], d[(0, 1)], d[(1, 1)]), (1.0, 2.0, 2.0, 4.0));
        let k = "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n";
        let d = parse_matrix(k, "k").unwrap().to_dense("t").unwrap();
        assert_eq!((d[(1, 0)], d[(2, 0)], d[(2, 1)], d[(0, 2)], d[(1, 1)]), (1.0, 2.0, 3.0, -2.0, 0.0));
    }

    #[test]
    fn matrix_market_errors() {
        assert_eq!(
            err(parse_matrix("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1\n", "c")),
            "cannot read `c`: line 1: field `complex` is not supported; valid: real, integer"
        );
        assert_eq!(
            err(parse_matrix("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n", "c")),
            "cannot read `c`: line 3: row index 3 is out of range 1..=2"
        );
        assert_eq!(
            err(parse_matrix("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n", "c")),
            "cannot read `c`: line 2: the size line declares 2 entries, but the file has 1 entry lines"
        );
        assert_eq!(
            err(parse_matrix("%%MatrixMarket matrix array real general\n2 2\n1 2 3\n", "a")),
            "cannot read `a`: line 2: a 2 x 2 general array stores 4 values, but the file has 3"
        );
        assert_eq!(
            err(parse_matrix("%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n", "s")),
            "cannot read `s`: line 2: a symmetric matrix must be square, found 2 x 3"
        );
    }

    #[test]
    fn vectors_plain_and_matrix_market() {
        assert_eq!(parse_vector("1 2,3\n# c\n4\n", "v").unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        let mm = "%%MatrixMarket matrix array real general\n3 1\n1\n-2\n3\n";
        assert_eq!(parse_vector(mm, "v").unwrap(), vec![1.0, -2.0, 3.0]);
        let e = err(parse_vector("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", "v"));
        assert_eq!(e, "cannot read `v`: a vector must have one column or one row, found a 2 x 2 matrix");
        assert_eq!(err(parse_vector("1 2\nz\n", "v")), "cannot read `v`: line 2: `z` is not a number");
        let e = err(read_vector("/nonexistent/dir/v.txt"));
        assert!(e.starts_with("cannot read `/nonexistent/dir/v.txt`: "), "{e}");
    }
}
