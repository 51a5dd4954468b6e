//! A safe view of the `pam_handle_t` a module is called with.

use super::{Code, Item, RawHandle, Style};
use crate::boundary;
use std::any::TypeId;
use std::ffi::{c_void, CStr, CString};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use zeroize::Zeroizing;

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

    /// PAM_USER, asking the application for it when unset (pam_get_user).
    pub fn user(&mut self) -> Result<String, Code> {
        let mut user: *const libc::c_char = ptr::null();
        // SAFETY: the handle is live; `user` receives a pointer owned by
        // libpam, valid until the item changes, which we copy at once.
        let rc = unsafe { pam_sys::raw::pam_get_user(self.raw.as_ptr(), &mut user, ptr::null()) };
        if rc != Code::SUCCESS.0 {
            return Err(Code(rc));
        }
        // SAFETY: on success libpam gives a NUL-terminated string or null.
        unsafe { copy_c_string(user) }.ok_or(Code::USER_UNKNOWN)
    }

    /// A text item (PAM_SERVICE, PAM_RHOST, …); `None` when unset.
    pub fn item(&self, item: Item) -> Result<Option<String>, Code> {
        let mut value: *const c_void = ptr::null();
        // SAFETY: the handle is live; text items are NUL-terminated strings
        // owned by libpam, copied before the handle is used again.
        let rc = unsafe { pam_sys::raw::pam_get_item(self.raw.as_ptr(), item as libc::c_int, &mut value) };
        if rc != Code::SUCCESS.0 {
            return Err(Code(rc));
        }
        // SAFETY: as above; null means unset.
        Ok(unsafe { copy_c_string(value.cast()) })
    }

    /// PAM_AUTHTOK, wiped from our copy when dropped.
    pub fn authtok(&self) -> Result<Option<Zeroizing<String>>, Code> {
        Ok(self.item(Item::AuthTok)?.map(Zeroizing::new))
    }

    /// Sets a text item (PAM_AUTHTOK for the next module, …).
    pub fn set_item(&mut self, item: Item, value: &str) -> Result<(), Code> {
        let value = Zeroizing::new(CString::new(value).map_err(|_| Code::BUF_ERR)?.into_bytes_with_nul());
        // SAFETY: libpam copies the NUL-terminated string before returning.
        let rc = unsafe { pam_sys::raw::pam_set_item(self.raw.as_ptr(), item as libc::c_int, value.as_ptr().cast()) };
        if rc == Code::SUCCESS.0 { Ok(()) } else { Err(Code(rc)) }
    }

    /// Sets `NAME=value` in the PAM environment.
    pub fn putenv(&mut self, name: &str, value: &str) -> Result<(), Code> {
        let entry = CString::new(format!("{name}={value}")).map_err(|_| Code::BUF_ERR)?;
        // SAFETY: libpam copies the string.
        let rc = unsafe { pam_sys::raw::pam_putenv(self.raw.as_ptr(), entry.as_ptr()) };
        if rc == Code::SUCCESS.0 { Ok(()) } else { Err(Code(rc)) }
    }

    /// A PAM environment variable.
    pub fn getenv(&self, name: &str) -> Option<String> {
        let name = CString::new(name).ok()?;
        // SAFETY: the returned pointer is owned by libpam; copied at once.
        unsafe { copy_c_string(pam_sys::raw::pam_getenv(self.raw.as_ptr(), name.as_ptr())) }
    }

    /// Asks the application through its conversation function. Returns one
    /// answer per message (`None` for non-prompts or no answer).
    pub fn converse(&self, messages: &[(Style, &str)]) -> Result<Vec<Option<Zeroizing<String>>>, Code> {
        let mut conv: *const c_void = ptr::null();
        // SAFETY: the handle is live; PAM_CONV is a `struct pam_conv *`.
        let rc = unsafe { pam_sys::raw::pam_get_item(self.raw.as_ptr(), 5, &mut conv) };
        if rc != Code::SUCCESS.0 || conv.is_null() {
            return Err(Code::CONV_ERR);
        }
        // SAFETY: non-null PAM_CONV points at the application's pam_conv.
        let conv = unsafe { &*conv.cast::<pam_sys::PamConversation>() };
        let Some(function) = conv.conv else { return Err(Code::CONV_ERR) };
        let texts: Vec<CString> = messages
            .iter()
            .map(|(_, t)| CString::new(t.replace('\0', " ")).map_err(|_| Code::BUF_ERR))
            .collect::<Result<_, _>>()?;
        let structs: Vec<pam_sys::PamMessage> = messages
            .iter()
            .zip(&texts)
            .map(|((style, _), text)| pam_sys::PamMessage { msg_style: *style as libc::c_int, msg: text.as_ptr() })
            .collect();
        let mut pointers: Vec<*mut pam_sys::PamMessage> = structs.iter().map(|m| ptr::from_ref(m).cast_mut()).collect();
        let mut responses: *mut pam_sys::PamResponse = ptr::null_mut();
        let count = libc::c_int::try_from(messages.len()).map_err(|_| Code::BUF_ERR)?;
        // pam-sys types the application's C callback as a safe fn. We call it
        // with Linux-PAM's convention: an array of `count` message pointers
        // valid during the call, and a pointer it fills with a malloc'd
        // response array.
        let rc = function(count, pointers.as_mut_ptr(), &mut responses, conv.data_ptr);
        if rc != Code::SUCCESS.0 {
            // SAFETY: an array the application may have left despite failing.
            unsafe { free_responses(responses, messages.len()) };
            return Err(Code(rc));
        }
        if responses.is_null() {
            return if messages.iter().any(|(s, _)| s.is_prompt()) { Err(Code::CONV_ERR) } else { Ok(vec![None; messages.len()]) };
        }
        let answers = (0..messages.len())
            .map(|i| {
                // SAFETY: the application returned `count` responses.
                let resp = unsafe { (*responses.add(i)).resp };
                // SAFETY: each `resp` is a NUL-terminated string or null.
                unsafe { copy_c_string(resp) }.map(Zeroizing::new)
            })
            .collect();
        // SAFETY: the array and its strings were malloc'd by the application
        // and are ours to free; they are wiped first (they hold passwords).
        unsafe { free_responses(responses, messages.len()) };
        Ok(answers)
    }

    /// Keeps `value` with the handle under `name` for later stages of the
    /// same transaction (pam_set_data); it is dropped by pam_end.
    pub fn set_data<T: 'static>(&mut self, name: &CStr, value: T) -> Result<(), Code> {
        let boxed = Box::into_raw(Box::new(Tagged { tag: TypeId::of::<T>(), value }));
        // SAFETY: libpam keeps the pointer and calls `cleanup::<T>` exactly
        // once (on replacement or pam_end), which frees it as the same type.
        let rc = unsafe { pam_sys::raw::pam_set_data(self.raw.as_ptr(), name.as_ptr(), boxed.cast(), Some(cleanup::<T>)) };
        if rc == Code::SUCCESS.0 {
            Ok(())
        } else {
            // SAFETY: libpam did not take it; reclaim to free it.
            drop(unsafe { Box::from_raw(boxed) });
            Err(Code(rc))
        }
    }

    /// What [`Handle::set_data`] kept under `name`, if it is a `T`.
    pub fn data<T: 'static>(&self, name: &CStr) -> Option<&T> {
        let mut data: *const c_void = ptr::null();
        // SAFETY: the handle is live; `data` receives the stored pointer.
        let rc = unsafe { pam_sys::raw::pam_get_data(self.raw.as_ptr(), name.as_ptr(), &mut data) };
        if rc != Code::SUCCESS.0 || data.is_null() {
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

/// Copies a C string.
///
/// # Safety
/// `p` is null or a valid NUL-terminated string.
unsafe fn copy_c_string(p: *const libc::c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller promises a NUL-terminated string.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
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
