//! The `pam_sm_*` entry points. A module implements [`PamModule`] in safe
//! Rust and exports it with [`crate::export_pam_module!`]; every export
//! goes through [`dispatch`], which checks what libpam handed over (null
//! handle, bad argv), runs the module inside the panic boundary, and never
//! turns a failure into `PAM_SUCCESS`.

use super::handle::Handle;
use super::{result_to_raw, PamError, PamResult, RawHandle};
use crate::boundary;
use crate::syslog::{Facility, Syslog};
use std::ffi::CStr;

/// Which `pam_sm_*` function was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// pam_sm_authenticate
    Authenticate,
    /// pam_sm_setcred
    SetCred,
    /// pam_sm_acct_mgmt
    AcctMgmt,
    /// pam_sm_open_session
    OpenSession,
    /// pam_sm_close_session
    CloseSession,
    /// pam_sm_chauthtok
    ChAuthTok,
}

impl Stage {
    /// The exported C name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Authenticate => "pam_sm_authenticate",
            Stage::SetCred => "pam_sm_setcred",
            Stage::AcctMgmt => "pam_sm_acct_mgmt",
            Stage::OpenSession => "pam_sm_open_session",
            Stage::CloseSession => "pam_sm_close_session",
            Stage::ChAuthTok => "pam_sm_chauthtok",
        }
    }

    /// What this stage returns when something inside went wrong.
    pub fn failure(self) -> PamError {
        match self {
            Stage::OpenSession | Stage::CloseSession => PamError::SessionErr,
            Stage::AcctMgmt => PamError::PermDenied,
            _ => PamError::ServiceErr,
        }
    }
}

/// One call's context: the handle, the module arguments, the flags, and
/// the log the arguments asked for.
#[derive(Debug)]
pub struct Call<'call> {
    /// Which entry point.
    pub stage: Stage,
    /// The PAM handle.
    pub handle: Handle<'call>,
    /// The module arguments from the service file.
    pub args: Vec<String>,
    /// The `flags` argument (PAM_SILENT, …).
    pub flags: libc::c_int,
    /// syslog (authpriv), debug and stderr mirroring per the arguments.
    pub log: Syslog,
}

/// A PAM service module in safe Rust.
pub trait PamModule {
    /// The prefix of every log line (`pam_radius_rs`).
    const NAME: &'static str;
    /// Runs one stage.
    fn run(call: &mut Call<'_>) -> PamResult<()>;
}

/// The body of every exported `pam_sm_*` function.
///
/// # Safety
/// libpam's calling convention: `pamh` is null or the live handle of this
/// call; `argv` is null or holds `argc` pointers, each null or a
/// NUL-terminated string, all valid during the call.
pub unsafe fn dispatch<M: PamModule>(
    stage: Stage,
    pamh: *mut RawHandle,
    flags: libc::c_int,
    argc: libc::c_int,
    argv: *const *const libc::c_char,
) -> libc::c_int {
    // SAFETY: forwarded from our caller.
    let args = unsafe { read_args(argc, argv) };
    let mut log = Syslog { ident: M::NAME, facility: Facility::AuthPriv, debug: false, mirror_to_stderr: false };
    if let Ok(args) = &args {
        log.debug = args.iter().any(|a| a == "debug");
        log.mirror_to_stderr = args.iter().any(|a| a == "log=stderr");
    }
    let report = |m: &str| radius_core::log::Log::log(&log, radius_core::log::Level::Error, m);
    let result = boundary::guard(stage.name(), Err(stage.failure()), &report, || {
        let args = match args {
            Ok(a) => a,
            Err(why) => {
                report(&format!("{}: {why}; failing closed", stage.name()));
                return Err(stage.failure());
            }
        };
        // SAFETY: forwarded from our caller: null or the live handle.
        let Some(handle) = (unsafe { Handle::from_raw(pamh) }) else {
            report(&format!("{}: called with a null PAM handle; failing closed", stage.name()));
            return Err(stage.failure());
        };
        let mut call = Call { stage, handle, args, flags, log: log.clone() };
        M::run(&mut call)
    });
    result_to_raw(result)
}

/// The module arguments as strings.
///
/// # Safety
/// As for [`dispatch`].
unsafe fn read_args(argc: libc::c_int, argv: *const *const libc::c_char) -> Result<Vec<String>, String> {
    let count = usize::try_from(argc).map_err(|_| format!("negative argument count {argc}"))?;
    if count == 0 {
        return Ok(Vec::new());
    }
    if argv.is_null() {
        return Err(format!("{count} arguments announced but argv is null"));
    }
    (0..count)
        .map(|i| {
            // SAFETY: `argv` holds `argc` pointers (caller's promise).
            let p = unsafe { *argv.add(i) };
            if p.is_null() {
                return Err(format!("argument {i} is a null pointer"));
            }
            // SAFETY: non-null entries are NUL-terminated strings.
            let text = unsafe { CStr::from_ptr(p) };
            text.to_str().map(str::to_string).map_err(|_| format!("argument {i} is not UTF-8"))
        })
        .collect()
}

/// Exports a [`PamModule`] as the six `pam_sm_*` functions libpam looks
/// for, each through [`dispatch`].
#[macro_export]
macro_rules! export_pam_module {
    ($module:ty) => {
        $crate::export_pam_module!(@one $module, pam_sm_authenticate, Authenticate);
        $crate::export_pam_module!(@one $module, pam_sm_setcred, SetCred);
        $crate::export_pam_module!(@one $module, pam_sm_acct_mgmt, AcctMgmt);
        $crate::export_pam_module!(@one $module, pam_sm_open_session, OpenSession);
        $crate::export_pam_module!(@one $module, pam_sm_close_session, CloseSession);
        $crate::export_pam_module!(@one $module, pam_sm_chauthtok, ChAuthTok);
    };
    (@one $module:ty, $name:ident, $stage:ident) => {
        /// A PAM entry point (see `radius_ffi::pam::entry::dispatch`).
        ///
        /// # Safety
        /// Called by libpam only, with its calling convention.
        #[allow(unsafe_code)]
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            pamh: *mut $crate::pam::RawHandle,
            flags: ::std::os::raw::c_int,
            argc: ::std::os::raw::c_int,
            argv: *const *const ::std::os::raw::c_char,
        ) -> ::std::os::raw::c_int {
            // SAFETY: libpam calls pam_sm_* with its calling convention,
            // which is exactly what `dispatch` requires.
            unsafe {
                $crate::pam::entry::dispatch::<$module>($crate::pam::entry::Stage::$stage, pamh, flags, argc, argv)
            }
        }
    };
}
