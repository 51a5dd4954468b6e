//! A safe view of the `pam_handle_t` a module is called with, as the
//! [`PamHandler`] trait the module's logic is written against (and tested
//! against a scripted fake). Passwords and answers are bytes from libpam to
//! the wire: nothing converts them to text.

use super::{result_from_raw, Item, PamError, PamResult, RawHandle, Style};
use crate::boundary;
use std::any::TypeId;
use std::ffi::{c_void, CStr, CString};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use zeroize::Zeroizing;

/// What a module needs of libpam.
pub trait PamHandler {
    /// PAM_USER, asking the application for it when unset.
    fn user(&mut self) -> PamResult<String>;
    /// A text item (PAM_SERVICE, PAM_RHOST, …); `None` when unset.
    fn item(&self, item: Item) -> PamResult<Option<String>>;
    /// PAM_AUTHTOK as it was set (bytes), wiped when dropped.
    fn authtok(&self) -> PamResult<Option<Zeroizing<Vec<u8>>>>;
    /// Sets PAM_AUTHTOK for the next module.
    fn set_authtok(&mut self, token: &[u8]) -> PamResult<()>;
    /// Asks one question through the application's conversation; the
    /// answer as bytes, wiped when dropped.
    fn prompt(&self, style: Style, text: &str) -> PamResult<Zeroizing<Vec<u8>>>;
    /// Shows one message (information or error).
    fn message(&self, style: Style, text: &str) -> PamResult<()>;
    /// Sets `NAME=value` in the PAM environment.
    fn putenv(&mut self, name: &str, value: &str) -> PamResult<()>;
    /// A PAM environment variable.
    fn getenv(&self, name: &str) -> Option<String>;
    /// Keeps `value` under `name` for later stages of the transaction.
    fn set_data<T: 'static>(&mut self, name: &CStr, value: T) -> PamResult<()>;
    /// What [`PamHandler::set_data`] kept under `name`, if it is a `T`.
    fn data<T: 'static>(&self, name: &CStr) -> Option<&T>;
}

/// The handle for the duration of one `pam_sm_*` call.
#[derive(Debug)]
pub struct Handle<'call> {
    raw: NonNull<RawHandle>,
    _call: PhantomData<&'call mut RawHandle>,
}

/// Data kept with `pam_set_data`, tagged with its type so that reading it
/// back as another type (or data another module stored under the name)
/// is refused instead of misread. `repr(C)` puts the tag first for every `T`.
#[repr(C)]
struct Tagged<T> {
    tag: TypeId,
    value: T,
}

impl<'call> Handle<'call> {
    /// Wraps the pointer libpam passed in; `None` when it is null.
    ///
    /// # Safety
    /// `raw` must be null or the live handle of the current PAM call, not
    /// used elsewhere while the returned `Handle` exists.
    pub(crate) unsafe fn from_raw(raw: *mut RawHandle) -> Option<Handle<'call>> {
        NonNull::new(raw).map(|raw| Handle { raw, _call: PhantomData })
    }

    /// Asks the application through its conversation function. Returns one
    /// answer per message (`None` for non-prompts or no answer), as bytes.
    pub fn converse(&self, messages: &[(Style, &str)]) -> PamResult<Vec<Option<Zeroizing<Vec<u8>>>>> {
        let mut conv: *const c_void = ptr::null();
        // SAFETY: the handle is live; PAM_CONV is a `struct pam_conv *`.
        let rc = unsafe { pam_sys::raw::pam_get_item(self.raw.as_ptr(), 5, &mut conv) };
        if rc != 0 || conv.is_null() {
            return Err(PamError::ConvErr);
        }
        // SAFETY: non-null PAM_CONV points at the application's pam_conv.
        let conv = unsafe { &*conv.cast::<pam_sys::PamConversation>() };
        let Some(function) = conv.conv else { return Err(PamError::ConvErr) };
        let texts: Vec<CString> = messages
            .iter()
            .map(|(_, t)| CString::new(t.replace('\0', " ")).map_err(|_| PamError::BufErr))
            .collect::<Result<_, _>>()?;
        let structs: Vec<pam_sys::PamMessage> = messages
            .iter()
            .zip(&texts)
            .map(|((style, _), text)| pam_sys::PamMessage { msg_style: *style as libc::c_int, msg: text.as_ptr() })
            .collect();
        let mut pointers: Vec<*mut pam_sys::PamMessage> = structs.iter().map(|m| ptr::from_ref(m).cast_mut()).collect();
        let mut responses: *mut pam_sys::PamResponse = ptr::null_mut();
        let count = libc::c_int::try_from(messages.len()).map_err(|_| PamError::BufErr)?;
        // pam-sys types the application's C callback as a safe fn. We call it
        // with Linux-PAM's convention: an array of `count` message pointers
        // valid during the call, and a pointer it fills with a malloc'd
        // response array.
        let rc = function(count, pointers.as_mut_ptr(), &mut responses, conv.data_ptr);
        if let Err(e) = result_from_raw(rc) {
            // SAFETY: an array the application may have left despite failing.
            unsafe { free_responses(responses, messages.len()) };
            return Err(e);
        }
        if responses.is_null() {
            return if messages.iter().any(|(s, _)| s.is_prompt()) { Err(PamError::ConvErr) } else { Ok(vec![None; messages.len()]) };
        }
        let answers = (0..messages.len())
            .map(|i| {
                // SAFETY: the application returned `count` responses.
                let resp = unsafe { (*responses.add(i)).resp };
                // SAFETY: each `resp` is a NUL-terminated string or null.
                unsafe { copy_c_bytes(resp) }
            })
            .collect();
        // SAFETY: the array and its strings were malloc'd by the application
        // and are ours to free; they are wiped first (they hold passwords).
        unsafe { free_responses(responses, messages.len()) };
        Ok(answers)
    }

    fn text_item(&self, item: Item) -> PamResult<Option<Zeroizing<Vec<u8>>>> {
        let mut value: *const c_void = ptr::null();
        // SAFETY: the handle is live; text items are NUL-terminated strings
        // owned by libpam, copied before the handle is used again.
        result_from_raw(unsafe { pam_sys::raw::pam_get_item(self.raw.as_ptr(), item as libc::c_int, &mut value) })?;
        // SAFETY: as above; null means unset.
        Ok(unsafe { copy_c_bytes(value.cast()) })
    }
}

impl PamHandler for Handle<'_> {
    fn user(&mut self) -> PamResult<String> {
        let mut user: *const libc::c_char = ptr::null();
        // SAFETY: the handle is live; `user` receives a pointer owned by
        // libpam, valid until the item changes, which we copy at once.
        result_from_raw(unsafe { pam_sys::raw::pam_get_user(self.raw.as_ptr(), &mut user, ptr::null()) })?;
        // SAFETY: on success libpam gives a NUL-terminated string or null.
        let bytes = unsafe { copy_c_bytes(user) }.ok_or(PamError::UserUnknown)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn item(&self, item: Item) -> PamResult<Option<String>> {
        Ok(self.text_item(item)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    fn authtok(&self) -> PamResult<Option<Zeroizing<Vec<u8>>>> {
        self.text_item(Item::AuthTok)
    }

    fn set_authtok(&mut self, token: &[u8]) -> PamResult<()> {
        if token.contains(&0) {
            return Err(PamError::BufErr);
        }
        // Sized once: a reallocation would free a copy of the password unwiped.
        let mut value = Zeroizing::new(Vec::with_capacity(token.len() + 1));
        value.extend_from_slice(token);
        value.push(0);
        // SAFETY: libpam copies the NUL-terminated string before returning.
        result_from_raw(unsafe { pam_sys::raw::pam_set_item(self.raw.as_ptr(), Item::AuthTok as libc::c_int, value.as_ptr().cast()) })
    }

    fn prompt(&self, style: Style, text: &str) -> PamResult<Zeroizing<Vec<u8>>> {
        self.converse(&[(style, text)])?.into_iter().next().flatten().ok_or(PamError::ConvErr)
    }

    fn message(&self, style: Style, text: &str) -> PamResult<()> {
        self.converse(&[(style, text)]).map(|_| ())
    }

    fn putenv(&mut self, name: &str, value: &str) -> PamResult<()> {
        let entry = CString::new(format!("{name}={value}")).map_err(|_| PamError::BufErr)?;
        // SAFETY: libpam copies the string.
        result_from_raw(unsafe { pam_sys::raw::pam_putenv(self.raw.as_ptr(), entry.as_ptr()) })
    }

    fn getenv(&self, name: &str) -> Option<String> {
        let name = CString::new(name).ok()?;
        // SAFETY: the returned pointer is owned by libpam; copied at once.
        let bytes = unsafe { copy_c_bytes(pam_sys::raw::pam_getenv(self.raw.as_ptr(), name.as_ptr())) }?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn set_data<T: 'static>(&mut self, name: &CStr, value: T) -> PamResult<()> {
        let boxed = Box::into_raw(Box::new(Tagged { tag: TypeId::of::<T>(), value }));
        // SAFETY: libpam keeps the pointer and calls `cleanup::<T>` exactly
        // once (on replacement or pam_end), which frees it as the same type.
        let rc = unsafe { pam_sys::raw::pam_set_data(self.raw.as_ptr(), name.as_ptr(), boxed.cast(), Some(cleanup::<T>)) };
        let result = result_from_raw(rc);
        if result.is_err() {
            // SAFETY: libpam did not take it; reclaim to free it.
            drop(unsafe { Box::from_raw(boxed) });
        }
        result
    }

    fn data<T: 'static>(&self, name: &CStr) -> Option<&T> {
        let mut data: *const c_void = ptr::null();
        // SAFETY: the handle is live; `data` receives the stored pointer.
        let rc = unsafe { pam_sys::raw::pam_get_data(self.raw.as_ptr(), name.as_ptr(), &mut data) };
        if rc != 0 || data.is_null() {
            return None;
        }
        // SAFETY: everything stored under our names is a `Tagged<_>`, whose
        // first field (repr(C)) is the TypeId; read it before trusting `T`.
        let tag = unsafe { *data.cast::<TypeId>() };
        if tag != TypeId::of::<T>() {
            return None;
        }
        // SAFETY: the tag says it is a `Tagged<T>`; it lives until replaced
        // through `set_data`, which needs `&mut self`, so not during this borrow.
        Some(unsafe { &(*data.cast::<Tagged<T>>()).value })
    }
}

extern "C" fn cleanup<T: 'static>(_pamh: *mut RawHandle, data: *mut c_void, _status: libc::c_int) {
    boundary::guard("pam data cleanup", (), &|_| {}, || {
        if !data.is_null() {
            // SAFETY: `data` came from `Box::into_raw` of a `Tagged<T>` in
            // `set_data`, and libpam calls this once per stored pointer.
            drop(unsafe { Box::from_raw(data.cast::<Tagged<T>>()) });
        }
    });
}

/// Copies a C string's bytes into a buffer wiped when dropped.
///
/// # Safety
/// `p` is null or a valid NUL-terminated string.
unsafe fn copy_c_bytes(p: *const libc::c_char) -> Option<Zeroizing<Vec<u8>>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller promises a NUL-terminated string.
    Some(Zeroizing::new(unsafe { CStr::from_ptr(p) }.to_bytes().to_vec()))
}

/// Wipes and frees a response array of `n` entries.
///
/// # Safety
/// `responses` is null or a malloc'd array of `n` responses whose `resp`
/// fields are null or malloc'd strings.
unsafe fn free_responses(responses: *mut pam_sys::PamResponse, n: usize) {
    if responses.is_null() {
        return;
    }
    for i in 0..n {
        // SAFETY: within the array the caller describes.
        let resp = unsafe { (*responses.add(i)).resp };
        if !resp.is_null() {
            // SAFETY: a NUL-terminated malloc'd string; wiped, then freed.
            unsafe {
                let len = libc::strlen(resp);
                ptr::write_bytes(resp, 0, len);
                libc::free(resp.cast());
            }
        }
    }
    // SAFETY: the array itself was malloc'd.
    unsafe { libc::free(responses.cast()) };
}
