//! The application side of libpam: an in-process driver that runs a
//! transaction (pam_start → pam_authenticate → … → pam_end) the way sshd
//! or login do. The tests and the benchmark use it to load a module
//! through the real libpam.

use super::{result_from_raw, Item, PamError, PamResult, RawHandle, Style};
use crate::boundary;
use std::ffi::{c_void, CStr, CString};
use std::path::Path;
use std::ptr;

#[link(name = "pam")]
extern "C" {
    /// Linux-PAM ≥ 1.4: pam_start reading service files from `confdir`.
    fn pam_start_confdir(
        service_name: *const libc::c_char,
        user: *const libc::c_char,
        pam_conversation: *const pam_sys::PamConversation,
        confdir: *const libc::c_char,
        pamh: *mut *mut RawHandle,
    ) -> libc::c_int;
}

/// Answers the module's prompts: given the style and text, the answer as
/// bytes (`None`: no answer, which fails the conversation).
pub type Answerer = Box<dyn FnMut(Style, &str) -> Option<Vec<u8>>>;

struct Conversation {
    answer: Answerer,
}

/// One PAM transaction; pam_end runs on drop.
pub struct Transaction {
    raw: *mut RawHandle,
    // Kept alive (and at a fixed address) for libpam's whole use of them.
    _conv: Box<pam_sys::PamConversation>,
    _state: Box<Conversation>,
    last: libc::c_int,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").field("last", &self.last).finish_non_exhaustive()
    }
}

impl Transaction {
    /// pam_start for `service` and `user`, reading the service file from
    /// `confdir` (instead of /etc/pam.d) when given.
    pub fn start(service: &str, user: &str, confdir: Option<&Path>, answer: Answerer) -> PamResult<Transaction> {
        let service = CString::new(service).map_err(|_| PamError::BufErr)?;
        let user = CString::new(user).map_err(|_| PamError::BufErr)?;
        let confdir = confdir
            .map(|d| CString::new(d.as_os_str().as_encoded_bytes()).map_err(|_| PamError::BufErr))
            .transpose()?;
        let mut state = Box::new(Conversation { answer });
        let conv = Box::new(pam_sys::PamConversation {
            conv: Some(converse),
            data_ptr: ptr::from_mut(state.as_mut()).cast(),
        });
        let mut raw: *mut RawHandle = ptr::null_mut();
        // SAFETY: all strings are NUL-terminated and outlive the call; the
        // conversation and its state are boxed and live as long as the
        // handle (dropped after pam_end).
        let rc = unsafe {
            pam_start_confdir(
                service.as_ptr(),
                user.as_ptr(),
                ptr::from_ref(conv.as_ref()),
                confdir.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                &mut raw,
            )
        };
        result_from_raw(rc)?;
        if raw.is_null() {
            return Err(PamError::SystemErr);
        }
        Ok(Transaction { raw, _conv: conv, _state: state, last: rc })
    }

    /// Runs one PAM step (pam_authenticate, pam_acct_mgmt, …) and keeps
    /// its result for pam_end.
    fn step(&mut self, function: unsafe extern "C" fn(*mut RawHandle, libc::c_int) -> libc::c_int, flags: libc::c_int) -> PamResult<()> {
        // SAFETY: a live handle, passed to one of libpam's
        // `int pam_xxx(pam_handle_t *, int flags)` functions.
        self.last = unsafe { function(self.raw, flags) };
        result_from_raw(self.last)
    }

    /// pam_set_item for a text item (PAM_RHOST, PAM_RUSER, PAM_AUTHTOK, …).
    pub fn set_item(&mut self, item: Item, value: &str) -> PamResult<()> {
        let value = CString::new(value).map_err(|_| PamError::BufErr)?;
        // SAFETY: live handle; libpam copies the string.
        result_from_raw(unsafe { pam_sys::raw::pam_set_item(self.raw, item as libc::c_int, value.as_ptr().cast()) })
    }

    /// pam_authenticate.
    pub fn authenticate(&mut self, flags: libc::c_int) -> PamResult<()> {
        self.step(pam_sys::raw::pam_authenticate, flags)
    }

    /// pam_setcred.
    pub fn setcred(&mut self, flags: libc::c_int) -> PamResult<()> {
        self.step(pam_sys::raw::pam_setcred, flags)
    }

    /// pam_acct_mgmt.
    pub fn acct_mgmt(&mut self, flags: libc::c_int) -> PamResult<()> {
        self.step(pam_sys::raw::pam_acct_mgmt, flags)
    }

    /// pam_open_session.
    pub fn open_session(&mut self, flags: libc::c_int) -> PamResult<()> {
        self.step(pam_sys::raw::pam_open_session, flags)
    }

    /// pam_close_session.
    pub fn close_session(&mut self, flags: libc::c_int) -> PamResult<()> {
        self.step(pam_sys::raw::pam_close_session, flags)
    }

    /// pam_chauthtok.
    pub fn chauthtok(&mut self, flags: libc::c_int) -> PamResult<()> {
        self.step(pam_sys::raw::pam_chauthtok, flags)
    }

    /// A variable of the PAM environment.
    pub fn getenv(&self, name: &str) -> Option<String> {
        let name = CString::new(name).ok()?;
        // SAFETY: live handle; the result is owned by libpam, copied at once.
        let value = unsafe { pam_sys::raw::pam_getenv(self.raw, name.as_ptr()) };
        // SAFETY: null or a NUL-terminated string.
        (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_string_lossy().into_owned())
    }

    /// A text item as the modules left it.
    pub fn item(&self, item: Item) -> Option<String> {
        let mut value: *const c_void = ptr::null();
        // SAFETY: live handle; text items are NUL-terminated strings.
        let rc = unsafe { pam_sys::raw::pam_get_item(self.raw, item as libc::c_int, &mut value) };
        // SAFETY: null or a NUL-terminated string owned by libpam.
        (rc == 0 && !value.is_null()).then(|| unsafe { CStr::from_ptr(value.cast()) }.to_string_lossy().into_owned())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // SAFETY: the handle is live and ended exactly once, here.
        unsafe { pam_sys::raw::pam_end(self.raw, self.last) };
    }
}

/// Loads the module at `path` into this process for good
/// (`RTLD_NODELETE`), as pam_radius_rs.so keeps itself loaded: libpam's
/// dlopen and dlclose of it at each transaction then only count
/// references. The benchmark uses it to measure PAM's own cost without a
/// module's loading and unloading in it.
pub fn keep_loaded(path: &Path) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("{}: NUL in the path", path.display()))?;
    // SAFETY: a NUL-terminated path; the handle is never closed, so the
    // library stays mapped for the life of the process.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NODELETE) };
    if handle.is_null() {
        return Err(format!("{}: dlopen failed", path.display()));
    }
    Ok(())
}

/// The C conversation function libpam calls; answers through the
/// transaction's [`Answerer`], inside the panic boundary.
extern "C" fn converse(
    num_msg: libc::c_int,
    msg: *mut *mut pam_sys::PamMessage,
    resp: *mut *mut pam_sys::PamResponse,
    appdata: *mut c_void,
) -> libc::c_int {
    let conv_err = PamError::ConvErr.raw();
    boundary::guard("pam conversation", conv_err, &|m| eprintln!("{m}"), || {
        let Ok(count) = usize::try_from(num_msg) else { return conv_err };
        if msg.is_null() || resp.is_null() || appdata.is_null() || count == 0 {
            return conv_err;
        }
        // SAFETY: `appdata` is the `Conversation` boxed in `Transaction::start`,
        // alive while the handle is; libpam calls us from inside a call on it.
        let state = unsafe { &mut *appdata.cast::<Conversation>() };
        // SAFETY: calloc of `count` zeroed responses; freed by the module.
        let out = unsafe { libc::calloc(count, std::mem::size_of::<pam_sys::PamResponse>()) }.cast::<pam_sys::PamResponse>();
        if out.is_null() {
            return PamError::BufErr.raw();
        }
        for i in 0..count {
            // SAFETY: Linux-PAM passes an array of `count` message pointers.
            let m = unsafe { &**msg.add(i) };
            let Some(style) = Style::from_raw(m.msg_style) else { continue };
            let text = if m.msg.is_null() {
                String::new()
            } else {
                // SAFETY: message texts are NUL-terminated.
                unsafe { CStr::from_ptr(m.msg) }.to_string_lossy().into_owned()
            };
            let answer = (state.answer)(style, &text);
            if style.is_prompt() {
                let Some(answer) = answer.and_then(|a| CString::new(a).ok()) else {
                    // SAFETY: `out` is our calloc'd array, filled up to `i`.
                    unsafe { free_filled(out, i) };
                    return conv_err;
                };
                // SAFETY: strdup gives a malloc'd copy the module frees;
                // `out` has `count` entries.
                unsafe { (*out.add(i)).resp = libc::strdup(answer.as_ptr()) };
            }
        }
        // SAFETY: `resp` is the module's out-pointer.
        unsafe { *resp = out };
        0
    })
}

/// Frees the first `filled` answers and the array after a failed conversation.
///
/// # Safety
/// `out` is a calloc'd response array whose first `filled` entries hold
/// null or malloc'd strings.
unsafe fn free_filled(out: *mut pam_sys::PamResponse, filled: usize) {
    for i in 0..filled {
        // SAFETY: entries before `filled` are null or strdup'd strings.
        unsafe { libc::free((*out.add(i)).resp.cast()) };
    }
    // SAFETY: calloc'd above.
    unsafe { libc::free(out.cast()) };
}
