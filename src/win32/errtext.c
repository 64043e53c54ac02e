/*
 * errtext.c — table of Win32 error names and English message texts.
 *
 * One row per code defined in include/npipe/winerror.h (aliases that share
 * a value appear once). The text is what Windows' FormatMessage gives in
 * English, minus the trailing CRLF; where Windows' text spans two lines
 * (the "{Title}" messages) the inner CRLF is kept.
 *
 * Rows are sorted by code (as unsigned 32-bit numbers) and looked up with
 * bsearch; keep them sorted when adding one.
 */
#include <stdlib.h>

#include <npipe/winerror.h>

#include "errtext.h"

struct errtext {
    DWORD code;
    const char *name;
    const char *message;
};

/* The symbol is both the key and, stringised, the name. */
#define E(sym, text) { (DWORD)(sym), #sym, text }

static const struct errtext errtext_table[] = {
    E(ERROR_SUCCESS, "The operation completed successfully."),
    E(ERROR_INVALID_FUNCTION, "Incorrect function."),
    E(ERROR_FILE_NOT_FOUND, "The system cannot find the file specified."),
    E(ERROR_PATH_NOT_FOUND, "The system cannot find the path specified."),
    E(ERROR_TOO_MANY_OPEN_FILES, "The system cannot open the file."),
    E(ERROR_ACCESS_DENIED, "Access is denied."),
    E(ERROR_INVALID_HANDLE, "The handle is invalid."),
    E(ERROR_ARENA_TRASHED, "The storage control blocks were destroyed."),
    E(ERROR_NOT_ENOUGH_MEMORY,
      "Not enough memory resources are available to process this command."),
    E(ERROR_INVALID_BLOCK, "The storage control block address is invalid."),
    E(ERROR_BAD_ENVIRONMENT, "The environment is incorrect."),
    E(ERROR_BAD_FORMAT,
      "An attempt was made to load a program with an incorrect format."),
    E(ERROR_INVALID_ACCESS, "The access code is invalid."),
    E(ERROR_INVALID_DATA, "The data is invalid."),
    E(ERROR_OUTOFMEMORY,
      "Not enough memory resources are available to complete this operation."),
    E(ERROR_INVALID_DRIVE, "The system cannot find the drive specified."),
    E(ERROR_CURRENT_DIRECTORY, "The directory cannot be removed."),
    E(ERROR_NOT_SAME_DEVICE,
      "The system cannot move the file to a different disk drive."),
    E(ERROR_NO_MORE_FILES, "There are no more files."),
    E(ERROR_WRITE_PROTECT, "The media is write protected."),
    E(ERROR_BAD_UNIT, "The system cannot find the device specified."),
    E(ERROR_NOT_READY, "The device is not ready."),
    E(ERROR_BAD_COMMAND, "The device does not recognize the command."),
    E(ERROR_CRC, "Data error (cyclic redundancy check)."),
    E(ERROR_BAD_LENGTH,
      "The program issued a command but the command length is incorrect."),
    E(ERROR_SEEK,
      "The drive cannot locate a specific area or track on the disk."),
    E(ERROR_NOT_DOS_DISK, "The specified disk or diskette cannot be accessed."),
    E(ERROR_SECTOR_NOT_FOUND, "The drive cannot find the sector requested."),
    E(ERROR_OUT_OF_PAPER, "The printer is out of paper."),
    E(ERROR_WRITE_FAULT, "The system cannot write to the specified device."),
    E(ERROR_READ_FAULT, "The system cannot read from the specified device."),
    E(ERROR_GEN_FAILURE, "A device attached to the system is not functioning."),
    E(ERROR_SHARING_VIOLATION,
      "The process cannot access the file because it is being used by "
      "another process."),
    E(ERROR_LOCK_VIOLATION,
      "The process cannot access the file because another process has "
      "locked a portion of the file."),
    E(ERROR_SHARING_BUFFER_EXCEEDED, "Too many files opened for sharing."),
    E(ERROR_HANDLE_EOF, "Reached the end of the file."),
    E(ERROR_HANDLE_DISK_FULL, "The disk is full."),
    E(ERROR_NOT_SUPPORTED, "The request is not supported."),
    E(ERROR_REM_NOT_LIST,
      "Windows cannot find the network path. Verify that the network path "
      "is correct and the destination computer is not busy or turned off. "
      "If Windows still cannot find the network path, contact your network "
      "administrator."),
    E(ERROR_DUP_NAME,
      "You were not connected because a duplicate name exists on the "
      "network. If joining a domain, go to System in Control Panel to "
      "change the computer name and try again. If joining a workgroup, "
      "choose another workgroup name."),
    E(ERROR_BAD_NETPATH, "The network path was not found."),
    E(ERROR_NETWORK_BUSY, "The network is busy."),
    E(ERROR_DEV_NOT_EXIST,
      "The specified network resource or device is no longer available."),
    E(ERROR_UNEXP_NET_ERR, "An unexpected network error occurred."),
    E(ERROR_NETNAME_DELETED,
      "The specified network name is no longer available."),
    E(ERROR_NETWORK_ACCESS_DENIED, "Network access is denied."),
    E(ERROR_BAD_NET_NAME, "The network name cannot be found."),
    E(ERROR_FILE_EXISTS, "The file exists."),
    E(ERROR_CANNOT_MAKE, "The directory or file cannot be created."),
    E(ERROR_INVALID_PARAMETER, "The parameter is incorrect."),
    E(ERROR_BROKEN_PIPE, "The pipe has been ended."),
    E(ERROR_OPEN_FAILED,
      "The system cannot open the device or file specified."),
    E(ERROR_BUFFER_OVERFLOW, "The file name is too long."),
    E(ERROR_DISK_FULL, "There is not enough space on the disk."),
    E(ERROR_CALL_NOT_IMPLEMENTED,
      "This function is not supported on this system."),
    E(ERROR_SEM_TIMEOUT, "The semaphore timeout period has expired."),
    E(ERROR_INSUFFICIENT_BUFFER,
      "The data area passed to a system call is too small."),
    E(ERROR_INVALID_NAME,
      "The filename, directory name, or volume label syntax is incorrect."),
    E(ERROR_INVALID_LEVEL, "The system call level is not correct."),
    E(ERROR_MOD_NOT_FOUND, "The specified module could not be found."),
    E(ERROR_PROC_NOT_FOUND, "The specified procedure could not be found."),
    E(ERROR_WAIT_NO_CHILDREN, "There are no child processes to wait for."),
    E(ERROR_CHILD_NOT_COMPLETE,
      "The %1 application cannot be run in Win32 mode."),
    E(ERROR_NEGATIVE_SEEK,
      "An attempt was made to move the file pointer before the beginning "
      "of the file."),
    E(ERROR_SEEK_ON_DEVICE,
      "The file pointer cannot be set on the specified device or file."),
    E(ERROR_DIR_NOT_EMPTY, "The directory is not empty."),
    E(ERROR_PATH_BUSY, "The path specified cannot be used at this time."),
    E(ERROR_INVALID_EVENT_COUNT,
      "The number of specified semaphore events for DosMuxSemWait is not "
      "correct."),
    E(ERROR_NOT_LOCKED, "The segment is already unlocked."),
    E(ERROR_BAD_ARGUMENTS, "One or more arguments are not correct."),
    E(ERROR_BAD_PATHNAME, "The specified path is invalid."),
    E(ERROR_SIGNAL_PENDING, "A signal is already pending."),
    E(ERROR_MAX_THRDS_REACHED, "No more threads can be created in the system."),
    E(ERROR_LOCK_FAILED, "Unable to lock a region of a file."),
    E(ERROR_BUSY, "The requested resource is in use."),
    E(ERROR_CANCEL_VIOLATION,
      "A lock request was not outstanding for the supplied cancel region."),
    E(ERROR_ALREADY_EXISTS,
      "Cannot create a file when that file already exists."),
    E(ERROR_BAD_EXE_FORMAT, "%1 is not a valid Win32 application."),
    E(ERROR_ENVVAR_NOT_FOUND,
      "The system could not find the environment option that was entered."),
    E(ERROR_FILENAME_EXCED_RANGE, "The filename or extension is too long."),
    E(ERROR_FILE_TOO_LARGE,
      "The file size exceeds the limit allowed and cannot be saved."),
    E(ERROR_PIPE_LOCAL, "The pipe is local."),
    E(ERROR_BAD_PIPE, "The pipe state is invalid."),
    E(ERROR_PIPE_BUSY, "All pipe instances are busy."),
    E(ERROR_NO_DATA, "The pipe is being closed."),
    E(ERROR_PIPE_NOT_CONNECTED, "No process is on the other end of the pipe."),
    E(ERROR_MORE_DATA, "More data is available."),
    E(ERROR_VC_DISCONNECTED, "The session was canceled."),
    E(ERROR_INVALID_EA_NAME,
      "The specified extended attribute name was invalid."),
    E(ERROR_EA_LIST_INCONSISTENT, "The extended attributes are inconsistent."),
    E(WAIT_TIMEOUT, "The wait operation timed out."),
    E(ERROR_NO_MORE_ITEMS, "No more data is available."),
    E(ERROR_CANNOT_COPY, "The copy functions cannot be used."),
    E(ERROR_DIRECTORY, "The directory name is invalid."),
    E(ERROR_EAS_DIDNT_FIT,
      "The extended attributes did not fit in the buffer."),
    E(ERROR_EAS_NOT_SUPPORTED,
      "The mounted file system does not support extended attributes."),
    E(ERROR_NOT_OWNER, "Attempt to release mutex not owned by caller."),
    E(ERROR_TOO_MANY_POSTS, "Too many posts were made to a semaphore."),
    E(ERROR_PARTIAL_COPY,
      "Only part of a ReadProcessMemory or WriteProcessMemory request was "
      "completed."),
    E(ERROR_MR_MID_NOT_FOUND,
      "The system cannot find message text for message number 0x%1 in the "
      "message file for %2."),
    E(ERROR_INVALID_ADDRESS, "Attempt to access invalid address."),
    E(ERROR_ARITHMETIC_OVERFLOW, "Arithmetic result exceeded 32 bits."),
    E(ERROR_PIPE_CONNECTED, "There is a process on other end of the pipe."),
    E(ERROR_PIPE_LISTENING,
      "Waiting for a process to open the other end of the pipe."),
    E(ERROR_THREAD_NOT_IN_PROCESS,
      "An attempt was made to operate on a thread within a specific "
      "process, but the thread specified is not in the process specified."),
    E(ERROR_OBJECT_NAME_EXISTS,
      "{Object Exists}\r\nAn attempt was made to create an object and the "
      "object name already existed."),
    E(ERROR_THREAD_WAS_SUSPENDED,
      "{Thread Suspended}\r\nA thread termination occurred while the thread "
      "was suspended. The thread was resumed, and termination proceeded."),
    E(ERROR_WAIT_1, "ERROR_WAIT_1"),
    E(ERROR_WAIT_2, "ERROR_WAIT_2"),
    E(ERROR_WAIT_3, "ERROR_WAIT_3"),
    E(ERROR_WAIT_63, "ERROR_WAIT_63"),
    E(ERROR_ABANDONED_WAIT_0, "ERROR_ABANDONED_WAIT_0"),
    E(ERROR_ABANDONED_WAIT_63, "ERROR_ABANDONED_WAIT_63"),
    E(ERROR_USER_APC, "ERROR_USER_APC"),
    E(ERROR_KERNEL_APC, "ERROR_KERNEL_APC"),
    E(ERROR_ALERTED, "ERROR_ALERTED"),
    E(ERROR_REPARSE,
      "A reparse should be performed by the Object Manager since the name "
      "of the file resulted in a symbolic link."),
    E(ERROR_OPERATION_ABORTED,
      "The I/O operation has been aborted because of either a thread exit "
      "or an application request."),
    E(ERROR_IO_INCOMPLETE, "Overlapped I/O event is not in a signaled state."),
    E(ERROR_IO_PENDING, "Overlapped I/O operation is in progress."),
    E(ERROR_NOACCESS, "Invalid access to memory location."),
    E(ERROR_SWAPERROR, "Error performing inpage operation."),
    E(ERROR_STACK_OVERFLOW, "Recursion too deep; the stack overflowed."),
    E(ERROR_INVALID_MESSAGE, "The window cannot act on the sent message."),
    E(ERROR_CAN_NOT_COMPLETE, "Cannot complete this function."),
    E(ERROR_INVALID_FLAGS, "Invalid flags."),
    E(ERROR_FILE_INVALID,
      "The volume for a file has been externally altered so that the "
      "opened file is no longer valid."),
    E(ERROR_NO_TOKEN,
      "An attempt was made to reference a token that does not exist."),
    E(ERROR_SERVICE_REQUEST_TIMEOUT,
      "The service did not respond to the start or control request in a "
      "timely fashion."),
    E(ERROR_PROCESS_ABORTED, "The process terminated unexpectedly."),
    E(ERROR_IO_DEVICE,
      "The request could not be performed because of an I/O device error."),
    E(ERROR_DEVICE_NOT_CONNECTED, "The device is not connected."),
    E(ERROR_NOT_FOUND, "Element not found."),
    E(ERROR_CANCELLED, "The operation was canceled by the user."),
    E(ERROR_CONNECTION_REFUSED,
      "The remote computer refused the network connection."),
    E(ERROR_CONNECTION_INVALID,
      "An operation was attempted on a nonexistent network connection."),
    E(ERROR_REQUEST_ABORTED, "The request was aborted."),
    E(ERROR_CONNECTION_ABORTED,
      "The network connection was aborted by the local system."),
    E(ERROR_NOT_ALL_ASSIGNED,
      "Not all privileges or groups referenced are assigned to the caller."),
    E(ERROR_SOME_NOT_MAPPED,
      "Some mapping between account names and security IDs was not done."),
    E(ERROR_INVALID_OWNER,
      "This security ID may not be assigned as the owner of this object."),
    E(ERROR_NO_IMPERSONATION_TOKEN,
      "An attempt has been made to operate on an impersonation token by a "
      "thread that is not currently impersonating a client."),
    E(ERROR_NO_SUCH_LOGON_SESSION,
      "A specified logon session does not exist. It may already have been "
      "terminated."),
    E(ERROR_NO_SUCH_PRIVILEGE, "A specified privilege does not exist."),
    E(ERROR_PRIVILEGE_NOT_HELD, "A required privilege is not held by the client."),
    E(ERROR_INVALID_ACL, "The access control list (ACL) structure is invalid."),
    E(ERROR_INVALID_SID, "The security ID structure is invalid."),
    E(ERROR_INVALID_SECURITY_DESCR,
      "The security descriptor structure is invalid."),
    E(ERROR_BAD_IMPERSONATION_LEVEL,
      "Either a required impersonation level was not provided, or the "
      "provided impersonation level is invalid."),
    E(ERROR_CANT_OPEN_ANONYMOUS,
      "Cannot open an anonymous level security token."),
    E(ERROR_BAD_TOKEN_TYPE,
      "The type of the token is inappropriate for its attempted use."),
    E(ERROR_NO_SECURITY_ON_OBJECT,
      "Unable to perform a security operation on an object that has no "
      "associated security."),
    E(ERROR_INTERNAL_ERROR, "An internal error occurred."),
    E(ERROR_CANNOT_IMPERSONATE,
      "Unable to impersonate using a named pipe until data has been read "
      "from that pipe."),
    E(ERROR_INVALID_INDEX, "Invalid index."),
    E(ERROR_NO_SYSTEM_RESOURCES,
      "Insufficient system resources exist to complete the requested "
      "service."),
    E(ERROR_NONPAGED_SYSTEM_RESOURCES,
      "Insufficient system resources exist to complete the requested "
      "service."),
    E(ERROR_PAGED_SYSTEM_RESOURCES,
      "Insufficient system resources exist to complete the requested "
      "service."),
    E(ERROR_WORKING_SET_QUOTA,
      "Insufficient quota to complete the requested service."),
    E(ERROR_PAGEFILE_QUOTA,
      "Insufficient quota to complete the requested service."),
    E(ERROR_COMMITMENT_LIMIT,
      "The paging file is too small for this operation to complete."),
    E(ERROR_TIMEOUT,
      "This operation returned because the timeout period expired."),
    E(ERROR_INVALID_USER_BUFFER,
      "The supplied user buffer is not valid for the requested operation."),
    E(ERROR_NOT_ENOUGH_QUOTA,
      "Not enough quota is available to process this command."),
    E(ERROR_INVALID_STATE,
      "The group or resource is not in the correct state to perform the "
      "requested operation."),

    /* HRESULTs (0x8xxxxxxx sorts after every Win32 code) */
    E(E_NOTIMPL, "Not implemented"),
    E(E_NOINTERFACE, "No such interface supported"),
    E(E_POINTER, "Invalid pointer"),
    E(E_ABORT, "Operation aborted"),
    E(E_FAIL, "Unspecified error"),
    E(E_UNEXPECTED, "Catastrophic failure"),
    E(E_ACCESSDENIED, "Access is denied."),
    E(E_HANDLE, "The handle is invalid."),
    E(E_OUTOFMEMORY,
      "Not enough memory resources are available to complete this operation."),
    E(STRSAFE_E_END_OF_FILE, "Reached the end of the file."),
    E(E_INVALIDARG, "The parameter is incorrect."),
    E(STRSAFE_E_INSUFFICIENT_BUFFER,
      "The data area passed to a system call is too small."),
};

#undef E

static int compare_code(const void *key, const void *elem)
{
    DWORD k = *(const DWORD *)key;
    DWORD e = ((const struct errtext *)elem)->code;

    return (k > e) - (k < e);
}

static const struct errtext *find(DWORD code)
{
    return bsearch(&code, errtext_table,
                   sizeof errtext_table / sizeof errtext_table[0],
                   sizeof errtext_table[0], compare_code);
}

const char *npipe_error_name(DWORD code)
{
    const struct errtext *row = find(code);

    return row ? row->name : NULL;
}

const char *npipe_error_message(DWORD code)
{
    const struct errtext *row = find(code);

    if (row)
        return row->message;
    /* HRESULT_FROM_WIN32(e): FormatMessage shows e's own text. */
    if ((code >> 16) == 0x8007u && (row = find(code & 0xFFFFu)) != NULL)
        return row->message;
    return NULL;
}
