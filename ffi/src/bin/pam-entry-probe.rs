//! Calls a PAM module's `pam_sm_*` entry point directly with bad input, as
//! a broken or hostile caller would (null handle, negative argc, null argv,
//! null or non-UTF-8 arguments), and prints the return code. The
//! robustness suite runs it to show the module never answers PAM_SUCCESS.
//!
//! usage: pam-entry-probe MODULE.so ENTRY CASE
//! CASE: null-handle | negative-argc | null-argv | null-arg | non-utf8-arg

use std::ffi::{c_char, c_int, c_void, CString};
use std::process::ExitCode;

type Entry = unsafe extern "C" fn(*mut c_void, c_int, c_int, *const *const c_char) -> c_int;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, module, entry, case] = args.as_slice() else {
        eprintln!("usage: pam-entry-probe MODULE.so ENTRY CASE");
        return ExitCode::from(2);
    };
    let (Ok(module), Ok(entry)) = (CString::new(module.as_str()), CString::new(entry.as_str())) else {
        return ExitCode::from(2);
    };
    // SAFETY: dlopen/dlsym with valid C strings; the symbol is a pam_sm_*
    // function, whose C signature `Entry` is.
    let function: Entry = unsafe {
        let lib = libc::dlopen(module.as_ptr(), libc::RTLD_NOW);
        if lib.is_null() {
            eprintln!("pam-entry-probe: cannot load the module");
            return ExitCode::from(2);
        }
        let sym = libc::dlsym(lib, entry.as_ptr());
        if sym.is_null() {
            eprintln!("pam-entry-probe: no such entry point");
            return ExitCode::from(2);
        }
        std::mem::transmute::<*mut c_void, Entry>(sym)
    };
    let log = c"log=stderr";
    let bad_utf8 = b"conf=\xff\xfe\0";
    let good: [*const c_char; 1] = [log.as_ptr()];
    let null_entry: [*const c_char; 2] = [log.as_ptr(), std::ptr::null()];
    let non_utf8: [*const c_char; 2] = [log.as_ptr(), bad_utf8.as_ptr().cast()];
    let (argc, argv): (c_int, *const *const c_char) = match case.as_str() {
        "null-handle" => (1, good.as_ptr()),
        "negative-argc" => (-3, good.as_ptr()),
        "null-argv" => (2, std::ptr::null()),
        "null-arg" => (2, null_entry.as_ptr()),
        "non-utf8-arg" => (2, non_utf8.as_ptr()),
        _ => {
            eprintln!("pam-entry-probe: unknown case {case}");
            return ExitCode::from(2);
        }
    };
    // SAFETY: a null handle (which the entry point must refuse) and an
    // argv that is null or holds `argc` pointers to valid or null strings,
    // alive during the call. This is the bad input under test.
    let code = unsafe { function(std::ptr::null_mut(), 0, argc, argv) };
    println!("{code}");
    ExitCode::SUCCESS
}
