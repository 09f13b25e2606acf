//! The 258 pages of npm `htmlparser-benchmark` (`node_modules/htmlparser-benchmark/files`,
//! or `HTMLPARSER_BENCHMARK_DIR`), one loader for every corpus test.

use std::path::PathBuf;

/// Every page as (file name, bytes), sorted by name; `None`, with a notice
/// naming `test` as skipped, when the corpus is not installed.
pub fn pages(test: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let dir = std::env::var_os("HTMLPARSER_BENCHMARK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("node_modules/htmlparser-benchmark/files")
        });
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!(
            "NOTICE: {} missing, {test} skipped (npm install htmlparser-benchmark)",
            dir.display()
        );
        return None;
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    Some(
        files
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect(),
    )
}
