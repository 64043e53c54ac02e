/*
 * objects.h — what the library itself keeps about some handles.
 *
 * Thread and process handles are broker events (waitable like any other
 * object), but their exit codes, thread ids and pids live in the library:
 * a table maps each handle value the program was given to the library's
 * record (objects.c).  Console handles (GetStdHandle) and handles of local
 * files are the library's own and never reach the broker (console.c,
 * localfile.c).  CloseHandle tells the table first (np_local_close), which
 * also closes the library's own handles.  Internal; not installed.
 */
#ifndef NPIPE_WIN32_OBJECTS_H
#define NPIPE_WIN32_OBJECTS_H

#include <stdbool.h>

#include <npipe/windows.h>

enum np_obj_type { NP_OBJ_THREAD = 1, NP_OBJ_PROCESS = 2 };

/* A record shared by the table and whoever else holds it: it is freed by
 * `release` when its last reference goes. */
struct np_obj {
    int refs; /* under the table's lock */
    enum np_obj_type type;
    void (*release)(struct np_obj *obj);
};

/* Puts obj under handle h (taking a reference).  false if memory ran
 * out. */
bool np_obj_insert(HANDLE h, struct np_obj *obj);
/* The record under h of this type, with a reference the caller drops with
 * np_obj_put; NULL if there is none. */
struct np_obj *np_obj_get(HANDLE h, enum np_obj_type type);
void np_obj_ref(struct np_obj *obj);
void np_obj_put(struct np_obj *obj);
/* Drops the table's record under h, if any (h is being closed). */
void np_obj_forget(HANDLE h);

/* The exit code of a process handle (or of its PROCESS_INFORMATION
 * hThread), STILL_ACTIVE while it runs; false if h is neither
 * (createprocess.c). */
bool np_process_exit_code(HANDLE h, DWORD *code);

/* ---- Handles that never reach the broker ------------------------------------ */

/* Is h one of the library's own handles (console, local file)? */
bool np_is_local_handle(HANDLE h);

/* ReadFile / WriteFile / FlushFileBuffers on a local handle; only called
 * when np_is_local_handle(h).  Same arguments and results as the Win32
 * functions (an OVERLAPPED is accepted as on a handle opened without
 * FILE_FLAG_OVERLAPPED: the call completes first). */
BOOL np_local_read(HANDLE h, LPVOID buf, DWORD n, LPDWORD done, LPOVERLAPPED ov);
BOOL np_local_write(HANDLE h, LPCVOID buf, DWORD n, LPDWORD done, LPOVERLAPPED ov);
BOOL np_local_flush(HANDLE h);

/* Called first by CloseHandle.  Returns true if h was a local handle (then
 * *result is CloseHandle's result); otherwise forgets any record kept
 * under h and returns false, and CloseHandle closes h in the broker. */
bool np_local_close(HANDLE h, BOOL *result);

/* DuplicateHandle of a local handle: a new local handle on a dup() of its
 * descriptor, within the calling process only. */
BOOL np_local_duplicate(HANDLE source_process, HANDLE h, HANDLE target_process,
                        LPHANDLE target, DWORD options);

/* The Linux fd behind a local handle (for CreateProcess), or -1. */
int np_local_fd(HANDLE h);

/* Local file handles (localfile.c): a handle for an open fd that the
 * table now owns (closed with the handle); NULL if the table is full. */
HANDLE np_local_insert_fd(int fd);

/* CreateFileW for a path that is not a pipe (localfile.c): the same
 * arguments, the same results. */
HANDLE np_local_create_file_w(LPCWSTR path, DWORD access, DWORD share,
                              LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags);

#endif /* NPIPE_WIN32_OBJECTS_H */
