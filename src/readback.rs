//! Reading back files forcegen wrote (partial results for `merge`, a run's
//! CSV files for `report`): regular files only, and at most a given size, so
//! that a device such as `/dev/zero` (or a link to one), a pipe or a huge file
//! is refused at once instead of being read until memory runs out.

use std::io::{self, Read};
use std::path::Path;

/// The bytes of the regular file at `path` (symbolic links are followed);
/// an error of kind `InvalidInput` for anything else or for a file larger
/// than `limit` bytes.
pub fn read_regular_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // The type is checked before opening (opening a pipe waits for a
    // writer), and again on the open file, which is opened without waiting
    // in case the path was swapped for a pipe in between.
    if !std::fs::metadata(path)?.is_file() {
        return Err(invalid("not a regular file".to_string()));
    }
    let file = open_without_waiting(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".to_string()));
    }
    if meta.len() > limit {
        return Err(too_large(limit, Some(meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte past the limit is enough to know the file grew past it.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit, None));
    }
    Ok(bytes)
}

/// Opens `path` for reading; on Unix with `O_NONBLOCK`, so that a pipe
/// does not block the open (a regular file reads as usual).
fn open_without_waiting(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Bytes in words: `4 GiB`, `512 MiB`, else the number of bytes.
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    match bytes {
        b if b >= 1 << 30 && b.is_multiple_of(1 << 30) => format!("{} GiB", b >> 30),
        b if b >= MIB && b.is_multiple_of(MIB) => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

fn too_large(limit: u64, size: Option<u64>) -> io::Error {
    let size = size.map_or_else(String::new, |s| format!(" ({s} bytes)"));
    invalid(format!(
        "the file is too large{size}; the limit is {limit} bytes ({})",
        size_text(limit)
    ))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_words() {
        assert_eq!(size_text(4 << 30), "4 GiB");
        assert_eq!(size_text(1 << 30), "1 GiB");
        assert_eq!(size_text(64 << 20), "64 MiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }

    #[test]
    fn refuses_devices_and_files_over_the_limit() {
        let dir = std::env::temp_dir().join(format!("forcegen-readback-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ten.bin");
        std::fs::write(&file, [7u8; 10]).unwrap();
        assert_eq!(read_regular_file(&file, 10).unwrap(), vec![7u8; 10]);
        let error = read_regular_file(&file, 9).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("too large (10 bytes)"), "{error}");
        assert!(read_regular_file(&dir, 100).is_err());
        if Path::new("/dev/zero").exists() {
            let error = read_regular_file(Path::new("/dev/zero"), 100).unwrap_err();
            assert!(error.to_string().contains("not a regular file"), "{error}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
