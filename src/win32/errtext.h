/*
 * errtext.h — names and English message texts of Win32 error codes
 * (internal to npipe; not installed).
 *
 * These back FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM) and the command-line
 * tool's error output. Both functions return NULL for a code they do not
 * know. Messages are Windows' English system texts without the trailing
 * "\r\n" FormatMessage adds; a few contain %1-style inserts, as on Windows.
 */
#ifndef NPIPE_WIN32_ERRTEXT_H
#define NPIPE_WIN32_ERRTEXT_H

#include <npipe/windef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The symbolic name, e.g. "ERROR_PIPE_BUSY" for 231 or "E_FAIL" for
 * 0x80004005. Where two names share a value (ERROR_SUCCESS / NO_ERROR /
 * S_OK) the ERROR_ name is returned. */
const char *npipe_error_name(DWORD code);

/* The English message, e.g. "All pipe instances are busy." for 231. An
 * HRESULT of the form 0x8007xxxx (a wrapped Win32 error) gets the message
 * of the Win32 error xxxx, as FormatMessage does on Windows. */
const char *npipe_error_message(DWORD code);

#ifdef __cplusplus
}
#endif
#endif /* NPIPE_WIN32_ERRTEXT_H */
