/*
 * test_status.c — RtlNtStatusToDosError and the Win32 error text table.
 *
 * Checks the NTSTATUS -> Win32 rows of the reference table (nt-pipes.md
 * section 4), the special rules of the mapping (success, customer bit,
 * 0xD -> 0xC, wrapped Win32 codes, unknown -> 317), that every status in
 * ntstatus.h is known to the table, and that npipe_error_name /
 * npipe_error_message know every code defined in winerror.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <npipe/windef.h>
#include <npipe/ntstatus.h>
#include <npipe/winerror.h>

#include "win32/errtext.h"

ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status);

struct status_case {
    NTSTATUS status;
    const char *status_name;
    ULONG error;
};

#define ROW(st, err) { (st), #st, (ULONG)(err) }

static void check_cases(const struct status_case *cases, size_t n)
{
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        ULONG got = RtlNtStatusToDosError(cases[i].status);
        if (got != cases[i].error)
            print_error("%s (0x%08X): got %u, want %u\n", cases[i].status_name,
                        (unsigned)cases[i].status, (unsigned)got,
                        (unsigned)cases[i].error);
        assert_int_equal(got, cases[i].error);
    }
}

/* Every row of nt-pipes.md section 4. */
static void test_reference_table(void **state)
{
    static const struct status_case rows[] = {
        ROW(STATUS_PIPE_BUSY, 231),
        ROW(STATUS_PIPE_NOT_AVAILABLE, 231),
        ROW(STATUS_INSTANCE_NOT_AVAILABLE, 231),
        ROW(STATUS_PIPE_CONNECTED, 535),
        ROW(STATUS_PIPE_LISTENING, 536),
        ROW(STATUS_PIPE_DISCONNECTED, 233),
        ROW(STATUS_PIPE_CLOSING, 232),
        ROW(STATUS_PIPE_EMPTY, 232),
        ROW(STATUS_PIPE_BROKEN, 109),
        ROW(STATUS_INVALID_PIPE_STATE, 230),
        ROW(STATUS_INVALID_READ_MODE, 230),
        ROW(STATUS_BUFFER_OVERFLOW, 234),
        ROW(STATUS_ILLEGAL_FUNCTION, 1),
        ROW(STATUS_INVALID_DEVICE_REQUEST, 1),
        ROW(STATUS_NOT_IMPLEMENTED, 1),
        ROW(STATUS_NOT_SUPPORTED, 50),
        ROW(STATUS_OBJECT_NAME_NOT_FOUND, 2),
        ROW(STATUS_OBJECT_NAME_INVALID, 123),
        ROW(STATUS_OBJECT_NAME_COLLISION, 183),
        ROW(STATUS_OBJECT_PATH_NOT_FOUND, 3),
        ROW(STATUS_OBJECT_PATH_SYNTAX_BAD, 161),
        ROW(STATUS_NAME_TOO_LONG, 206),
        ROW(STATUS_ACCESS_DENIED, 5),
        ROW(STATUS_INVALID_PARAMETER, 87),
        ROW(STATUS_INVALID_PARAMETER_MIX, 87),
        ROW(STATUS_INVALID_INFO_CLASS, 87),
        ROW(STATUS_IO_TIMEOUT, 121),
        ROW(STATUS_TIMEOUT, 1460),
        ROW(STATUS_PENDING, 997),
        ROW(STATUS_CANCELLED, 995),
        ROW(STATUS_CANNOT_IMPERSONATE, 1368),
        ROW(STATUS_BAD_IMPERSONATION_LEVEL, 1346),
        ROW(STATUS_BUFFER_TOO_SMALL, 122),
        ROW(STATUS_INFO_LENGTH_MISMATCH, 24),
        ROW(STATUS_INSUFFICIENT_RESOURCES, 1450),
        ROW(STATUS_INVALID_HANDLE, 6),
        ROW(STATUS_OBJECT_TYPE_MISMATCH, 6),
        ROW(STATUS_NOT_FOUND, 1168),
        ROW(STATUS_PRIVILEGE_NOT_HELD, 1314),
        ROW(STATUS_MORE_PROCESSING_REQUIRED, 234),
        ROW(STATUS_UNSUCCESSFUL, 31),
    };
    (void)state;
    check_cases(rows, sizeof rows / sizeof rows[0]);
}

/* Statuses the rest of npipe returns often, and the success codes that do
 * have a mapping. */
static void test_other_mappings(void **state)
{
    static const struct status_case rows[] = {
        ROW(STATUS_NO_MEMORY, ERROR_NOT_ENOUGH_MEMORY),
        ROW(STATUS_QUOTA_EXCEEDED, ERROR_NOT_ENOUGH_QUOTA),
        ROW(STATUS_END_OF_FILE, ERROR_HANDLE_EOF),
        ROW(STATUS_FILE_FORCED_CLOSED, ERROR_HANDLE_EOF),
        ROW(STATUS_NO_SUCH_FILE, ERROR_FILE_NOT_FOUND),
        ROW(STATUS_NO_SUCH_DEVICE, ERROR_FILE_NOT_FOUND),
        ROW(STATUS_OBJECT_PATH_INVALID, ERROR_BAD_PATHNAME),
        ROW(STATUS_SHARING_VIOLATION, ERROR_SHARING_VIOLATION),
        ROW(STATUS_ACCESS_VIOLATION, ERROR_NOACCESS),
        ROW(STATUS_INVALID_USER_BUFFER, ERROR_INVALID_USER_BUFFER),
        ROW(STATUS_TOO_MANY_OPENED_FILES, ERROR_TOO_MANY_OPEN_FILES),
        ROW(STATUS_FILE_IS_A_DIRECTORY, ERROR_ACCESS_DENIED),
        ROW(STATUS_NOT_A_DIRECTORY, ERROR_DIRECTORY),
        ROW(STATUS_PROCESS_IS_TERMINATING, ERROR_ACCESS_DENIED),
        ROW(STATUS_THREAD_IS_TERMINATING, ERROR_ACCESS_DENIED),
        ROW(STATUS_INVALID_DEVICE_STATE, ERROR_BAD_COMMAND),
        ROW(STATUS_CONNECTION_DISCONNECTED, ERROR_NETNAME_DELETED),
        ROW(STATUS_PORT_DISCONNECTED, ERROR_INVALID_HANDLE),
        ROW(STATUS_INVALID_ADDRESS, ERROR_UNEXP_NET_ERR),
        ROW(STATUS_INTEGER_OVERFLOW, ERROR_ARITHMETIC_OVERFLOW),
        ROW(STATUS_INVALID_LEVEL, ERROR_INVALID_LEVEL),
        ROW(STATUS_DATA_ERROR, ERROR_CRC),
        ROW(STATUS_DEVICE_NOT_READY, ERROR_NOT_READY),
        ROW(STATUS_THREAD_NOT_IN_PROCESS, ERROR_THREAD_NOT_IN_PROCESS),
        ROW(STATUS_NO_MORE_FILES, ERROR_NO_MORE_FILES),
        ROW(STATUS_NO_MORE_ENTRIES, ERROR_NO_MORE_ITEMS),
        ROW(STATUS_MORE_ENTRIES, ERROR_MORE_DATA),
        ROW(STATUS_WAIT_1, ERROR_WAIT_1),
        ROW(STATUS_WAIT_63, ERROR_WAIT_63),
        ROW(STATUS_ABANDONED_WAIT_0, ERROR_WAIT_NO_CHILDREN),
        ROW(STATUS_ABANDONED_WAIT_63, ERROR_ABANDONED_WAIT_63),
        ROW(STATUS_USER_APC, ERROR_USER_APC),
        ROW(STATUS_ALERTED, ERROR_ALERTED),
        ROW(STATUS_OBJECT_NAME_EXISTS, ERROR_OBJECT_NAME_EXISTS),
        ROW(STATUS_BREAKPOINT, 0x80000003u), /* exception codes pass through */
        ROW(STATUS_ILLEGAL_INSTRUCTION, 0xC000001Du),
    };
    (void)state;
    check_cases(rows, sizeof rows / sizeof rows[0]);
}

static void test_success(void **state)
{
    (void)state;
    assert_int_equal(RtlNtStatusToDosError(STATUS_SUCCESS), ERROR_SUCCESS);
    assert_int_equal(RtlNtStatusToDosError(STATUS_WAIT_0), 0);
}

static void test_customer_bit(void **state)
{
    static const ULONG values[] = {
        0x20000000u, 0x20000001u, 0x600000AEu, 0xA0000005u,
        0xE00000AEu, 0xE0010005u, 0xF0000001u, 0xFFFFFFFFu,
    };
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        assert_int_equal(RtlNtStatusToDosError((NTSTATUS)values[i]), values[i]);
}

static void test_d_is_c(void **state)
{
    (void)state;
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD00000AEu),
                     ERROR_PIPE_BUSY);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD000014Bu),
                     ERROR_BROKEN_PIPE);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD0000034u),
                     ERROR_FILE_NOT_FOUND);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD00000B1u),
                     ERROR_NO_DATA);
    /* and then the 0xC001xxxx rule applies */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD0010005u),
                     ERROR_ACCESS_DENIED);
    /* an unknown 0xD... stays unknown */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD0FF0001u),
                     ERROR_MR_MID_NOT_FOUND);
}

static void test_wrapped_win32(void **state)
{
    (void)state;
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x80070005u), 5);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x800700E7u), 231);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x80070000u), 0);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x8007FFFFu), 0xFFFF);
    assert_int_equal(RtlNtStatusToDosError(HRESULT_FROM_WIN32(ERROR_NO_DATA)),
                     ERROR_NO_DATA);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC0010002u), 2);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC00100E9u), 233);
    /* only facility 7 with severity 2 and facility 1 with severity 3 */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC0070005u),
                     ERROR_MR_MID_NOT_FOUND);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x80010005u),
                     ERROR_MR_MID_NOT_FOUND);
}

static void test_unknown(void **state)
{
    static const ULONG values[] = {
        0x00000004u, 0x00000040u, 0x00001234u, 0x12345678u,
        0x40FF0000u, 0x80001234u, 0x8008000Eu, 0xC0001234u, 0xC0FF0001u,
    };
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        assert_int_equal(RtlNtStatusToDosError((NTSTATUS)values[i]),
                         ERROR_MR_MID_NOT_FOUND);
}

/* Every status in ntstatus.h (other than success) must be in the table;
 * this also catches a table that is out of order for bsearch. */
static void test_every_status_is_known(void **state)
{
#define S(st) { (st), #st }
    static const struct { NTSTATUS status; const char *name; } all[] = {
        S(STATUS_WAIT_1), S(STATUS_WAIT_2), S(STATUS_WAIT_3),
        S(STATUS_WAIT_63), S(STATUS_ABANDONED), S(STATUS_ABANDONED_WAIT_0),
        S(STATUS_ABANDONED_WAIT_63), S(STATUS_USER_APC), S(STATUS_KERNEL_APC),
        S(STATUS_ALERTED), S(STATUS_TIMEOUT), S(STATUS_PENDING),
        S(STATUS_REPARSE), S(STATUS_MORE_ENTRIES), S(STATUS_NOT_ALL_ASSIGNED),
        S(STATUS_SOME_NOT_MAPPED), S(STATUS_OBJECT_NAME_EXISTS),
        S(STATUS_THREAD_WAS_SUSPENDED), S(STATUS_GUARD_PAGE_VIOLATION),
        S(STATUS_DATATYPE_MISALIGNMENT), S(STATUS_BREAKPOINT),
        S(STATUS_SINGLE_STEP), S(STATUS_BUFFER_OVERFLOW),
        S(STATUS_NO_MORE_FILES), S(STATUS_PARTIAL_COPY), S(STATUS_DEVICE_BUSY),
        S(STATUS_NO_MORE_EAS), S(STATUS_NO_MORE_ENTRIES),
        S(STATUS_UNSUCCESSFUL), S(STATUS_NOT_IMPLEMENTED),
        S(STATUS_INVALID_INFO_CLASS), S(STATUS_INFO_LENGTH_MISMATCH),
        S(STATUS_ACCESS_VIOLATION), S(STATUS_IN_PAGE_ERROR),
        S(STATUS_PAGEFILE_QUOTA), S(STATUS_INVALID_HANDLE),
        S(STATUS_INVALID_CID), S(STATUS_INVALID_PARAMETER),
        S(STATUS_NO_SUCH_DEVICE), S(STATUS_NO_SUCH_FILE),
        S(STATUS_INVALID_DEVICE_REQUEST), S(STATUS_END_OF_FILE),
        S(STATUS_MORE_PROCESSING_REQUIRED), S(STATUS_NO_MEMORY),
        S(STATUS_CONFLICTING_ADDRESSES), S(STATUS_INVALID_SYSTEM_SERVICE),
        S(STATUS_ILLEGAL_INSTRUCTION), S(STATUS_INVALID_LOCK_SEQUENCE),
        S(STATUS_ALREADY_COMMITTED), S(STATUS_ACCESS_DENIED),
        S(STATUS_BUFFER_TOO_SMALL), S(STATUS_OBJECT_TYPE_MISMATCH),
        S(STATUS_NOT_LOCKED), S(STATUS_NOT_COMMITTED),
        S(STATUS_INVALID_PARAMETER_MIX), S(STATUS_OBJECT_NAME_INVALID),
        S(STATUS_OBJECT_NAME_NOT_FOUND), S(STATUS_OBJECT_NAME_COLLISION),
        S(STATUS_PORT_DISCONNECTED), S(STATUS_OBJECT_PATH_INVALID),
        S(STATUS_OBJECT_PATH_NOT_FOUND), S(STATUS_OBJECT_PATH_SYNTAX_BAD),
        S(STATUS_DATA_ERROR), S(STATUS_CRC_ERROR),
        S(STATUS_PORT_CONNECTION_REFUSED), S(STATUS_SHARING_VIOLATION),
        S(STATUS_QUOTA_EXCEEDED), S(STATUS_INVALID_PAGE_PROTECTION),
        S(STATUS_MUTANT_NOT_OWNED), S(STATUS_SEMAPHORE_LIMIT_EXCEEDED),
        S(STATUS_THREAD_IS_TERMINATING), S(STATUS_EAS_NOT_SUPPORTED),
        S(STATUS_FILE_LOCK_CONFLICT), S(STATUS_LOCK_NOT_GRANTED),
        S(STATUS_DELETE_PENDING), S(STATUS_INVALID_OWNER),
        S(STATUS_NO_IMPERSONATION_TOKEN), S(STATUS_NO_SUCH_LOGON_SESSION),
        S(STATUS_NO_SUCH_PRIVILEGE), S(STATUS_PRIVILEGE_NOT_HELD),
        S(STATUS_INVALID_ACL), S(STATUS_INVALID_SID),
        S(STATUS_INVALID_SECURITY_DESCR), S(STATUS_PROCEDURE_NOT_FOUND),
        S(STATUS_INVALID_IMAGE_FORMAT), S(STATUS_NO_TOKEN),
        S(STATUS_RANGE_NOT_LOCKED), S(STATUS_DISK_FULL),
        S(STATUS_INTEGER_OVERFLOW), S(STATUS_FILE_INVALID),
        S(STATUS_INSUFFICIENT_RESOURCES), S(STATUS_DEVICE_NOT_CONNECTED),
        S(STATUS_FREE_VM_NOT_AT_BASE), S(STATUS_MEMORY_NOT_ALLOCATED),
        S(STATUS_WORKING_SET_QUOTA), S(STATUS_DEVICE_NOT_READY),
        S(STATUS_BAD_IMPERSONATION_LEVEL), S(STATUS_CANT_OPEN_ANONYMOUS),
        S(STATUS_BAD_TOKEN_TYPE), S(STATUS_INSTANCE_NOT_AVAILABLE),
        S(STATUS_PIPE_NOT_AVAILABLE), S(STATUS_INVALID_PIPE_STATE),
        S(STATUS_PIPE_BUSY), S(STATUS_ILLEGAL_FUNCTION),
        S(STATUS_PIPE_DISCONNECTED), S(STATUS_PIPE_CLOSING),
        S(STATUS_PIPE_CONNECTED), S(STATUS_PIPE_LISTENING),
        S(STATUS_INVALID_READ_MODE), S(STATUS_IO_TIMEOUT),
        S(STATUS_FILE_FORCED_CLOSED), S(STATUS_FILE_IS_A_DIRECTORY),
        S(STATUS_NOT_SUPPORTED), S(STATUS_REMOTE_NOT_LISTENING),
        S(STATUS_DUPLICATE_NAME), S(STATUS_BAD_NETWORK_PATH),
        S(STATUS_NETWORK_BUSY), S(STATUS_DEVICE_DOES_NOT_EXIST),
        S(STATUS_UNEXPECTED_NETWORK_ERROR), S(STATUS_NETWORK_NAME_DELETED),
        S(STATUS_NETWORK_ACCESS_DENIED), S(STATUS_BAD_NETWORK_NAME),
        S(STATUS_NOT_SAME_DEVICE), S(STATUS_VIRTUAL_CIRCUIT_CLOSED),
        S(STATUS_NO_SECURITY_ON_OBJECT), S(STATUS_PIPE_EMPTY),
        S(STATUS_INTERNAL_ERROR), S(STATUS_INVALID_USER_BUFFER),
        S(STATUS_INVALID_PARAMETER_1), S(STATUS_INVALID_PARAMETER_2),
        S(STATUS_INVALID_PARAMETER_3), S(STATUS_INVALID_PARAMETER_4),
        S(STATUS_INVALID_PARAMETER_5), S(STATUS_INVALID_PARAMETER_6),
        S(STATUS_INVALID_PARAMETER_7), S(STATUS_INVALID_PARAMETER_8),
        S(STATUS_INVALID_PARAMETER_9), S(STATUS_INVALID_PARAMETER_10),
        S(STATUS_INVALID_PARAMETER_11), S(STATUS_INVALID_PARAMETER_12),
        S(STATUS_REDIRECTOR_NOT_STARTED), S(STATUS_STACK_OVERFLOW),
        S(STATUS_VARIABLE_NOT_FOUND), S(STATUS_DIRECTORY_NOT_EMPTY),
        S(STATUS_NOT_A_DIRECTORY), S(STATUS_NAME_TOO_LONG),
        S(STATUS_PROCESS_IS_TERMINATING), S(STATUS_CANNOT_IMPERSONATE),
        S(STATUS_TOO_MANY_OPENED_FILES), S(STATUS_CANCELLED),
        S(STATUS_CANNOT_DELETE), S(STATUS_FILE_DELETED),
        S(STATUS_FILE_CLOSED), S(STATUS_THREAD_NOT_IN_PROCESS),
        S(STATUS_COMMITMENT_LIMIT), S(STATUS_LOCAL_DISCONNECT),
        S(STATUS_REMOTE_DISCONNECT), S(STATUS_INVALID_CONNECTION),
        S(STATUS_INVALID_ADDRESS), S(STATUS_INVALID_LEVEL),
        S(STATUS_PIPE_BROKEN), S(STATUS_INVALID_DEVICE_STATE),
        S(STATUS_IO_DEVICE_ERROR), S(STATUS_INVALID_BUFFER_SIZE),
        S(STATUS_CONNECTION_DISCONNECTED), S(STATUS_CONNECTION_RESET),
        S(STATUS_NOT_FOUND), S(STATUS_HANDLE_NOT_CLOSABLE),
        S(STATUS_CONNECTION_REFUSED), S(STATUS_CONNECTION_INVALID),
        S(STATUS_REQUEST_ABORTED), S(STATUS_CONNECTION_ABORTED),
    };
#undef S
    (void)state;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ULONG got = RtlNtStatusToDosError(all[i].status);
        if (got == (ULONG)ERROR_MR_MID_NOT_FOUND || got == 0)
            print_error("%s (0x%08X) is not mapped\n", all[i].name,
                        (unsigned)all[i].status);
        assert_int_not_equal(got, ERROR_MR_MID_NOT_FOUND);
        assert_int_not_equal(got, 0);
    }
}

static void test_hresult_macros(void **state)
{
    (void)state;
    assert_int_equal((ULONG)HRESULT_FROM_WIN32(ERROR_PIPE_BUSY), 0x800700E7u);
    assert_int_equal((ULONG)HRESULT_FROM_WIN32(ERROR_SUCCESS), 0);
    assert_int_equal(HRESULT_FROM_WIN32(E_FAIL), E_FAIL);
    assert_int_equal((ULONG)HRESULT_FROM_WIN32(0x12345u), 0x80072345u);
    assert_int_equal(STRSAFE_E_INSUFFICIENT_BUFFER,
                     HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER));
    assert_int_equal(STRSAFE_E_INVALID_PARAMETER,
                     HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER));
    assert_int_equal(STRSAFE_E_END_OF_FILE,
                     HRESULT_FROM_WIN32(ERROR_HANDLE_EOF));
    assert_int_equal(E_OUTOFMEMORY, HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY));
    assert_int_equal(E_INVALIDARG, HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER));
    assert_true(FAILED(E_FAIL));
    assert_false(SUCCEEDED(E_POINTER));
    assert_true(SUCCEEDED(S_OK));
    assert_true(SUCCEEDED(S_FALSE));
    assert_int_equal(HRESULT_CODE(E_INVALIDARG), ERROR_INVALID_PARAMETER);
    assert_int_equal(HRESULT_FACILITY(E_INVALIDARG), FACILITY_WIN32);
    assert_int_equal(HRESULT_SEVERITY(E_INVALIDARG), SEVERITY_ERROR);
}

/* The exact Windows text of every pipe-related error. */
static void test_pipe_error_text(void **state)
{
    static const struct {
        DWORD code;
        const char *name;
        const char *message;
    } rows[] = {
        { 109, "ERROR_BROKEN_PIPE", "The pipe has been ended." },
        { 229, "ERROR_PIPE_LOCAL", "The pipe is local." },
        { 230, "ERROR_BAD_PIPE", "The pipe state is invalid." },
        { 231, "ERROR_PIPE_BUSY", "All pipe instances are busy." },
        { 232, "ERROR_NO_DATA", "The pipe is being closed." },
        { 233, "ERROR_PIPE_NOT_CONNECTED",
          "No process is on the other end of the pipe." },
        { 234, "ERROR_MORE_DATA", "More data is available." },
        { 535, "ERROR_PIPE_CONNECTED",
          "There is a process on other end of the pipe." },
        { 536, "ERROR_PIPE_LISTENING",
          "Waiting for a process to open the other end of the pipe." },
        { 1368, "ERROR_CANNOT_IMPERSONATE",
          "Unable to impersonate using a named pipe until data has been read "
          "from that pipe." },
        { 121, "ERROR_SEM_TIMEOUT",
          "The semaphore timeout period has expired." },
        { 995, "ERROR_OPERATION_ABORTED",
          "The I/O operation has been aborted because of either a thread "
          "exit or an application request." },
        { 996, "ERROR_IO_INCOMPLETE",
          "Overlapped I/O event is not in a signaled state." },
        { 997, "ERROR_IO_PENDING", "Overlapped I/O operation is in progress." },
        { 2, "ERROR_FILE_NOT_FOUND",
          "The system cannot find the file specified." },
        { 5, "ERROR_ACCESS_DENIED", "Access is denied." },
        { 6, "ERROR_INVALID_HANDLE", "The handle is invalid." },
        { 87, "ERROR_INVALID_PARAMETER", "The parameter is incorrect." },
        { 161, "ERROR_BAD_PATHNAME", "The specified path is invalid." },
        { 1460, "ERROR_TIMEOUT",
          "This operation returned because the timeout period expired." },
        { 0, "ERROR_SUCCESS", "The operation completed successfully." },
    };
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *name = npipe_error_name(rows[i].code);
        const char *message = npipe_error_message(rows[i].code);
        assert_non_null(name);
        assert_non_null(message);
        assert_string_equal(name, rows[i].name);
        assert_string_equal(message, rows[i].message);
    }
}

/* Every code in winerror.h has its own name and a message without the
 * trailing CRLF. */
static void test_every_error_has_text(void **state)
{
#define C(sym) { (DWORD)(sym), #sym }
    static const struct { DWORD code; const char *name; } all[] = {
        C(ERROR_SUCCESS), C(ERROR_INVALID_FUNCTION), C(ERROR_FILE_NOT_FOUND),
        C(ERROR_PATH_NOT_FOUND), C(ERROR_TOO_MANY_OPEN_FILES),
        C(ERROR_ACCESS_DENIED), C(ERROR_INVALID_HANDLE),
        C(ERROR_ARENA_TRASHED), C(ERROR_NOT_ENOUGH_MEMORY),
        C(ERROR_INVALID_BLOCK), C(ERROR_BAD_ENVIRONMENT), C(ERROR_BAD_FORMAT),
        C(ERROR_INVALID_ACCESS), C(ERROR_INVALID_DATA), C(ERROR_OUTOFMEMORY),
        C(ERROR_INVALID_DRIVE), C(ERROR_CURRENT_DIRECTORY),
        C(ERROR_NOT_SAME_DEVICE), C(ERROR_NO_MORE_FILES),
        C(ERROR_WRITE_PROTECT), C(ERROR_BAD_UNIT), C(ERROR_NOT_READY),
        C(ERROR_BAD_COMMAND), C(ERROR_CRC), C(ERROR_BAD_LENGTH), C(ERROR_SEEK),
        C(ERROR_NOT_DOS_DISK), C(ERROR_SECTOR_NOT_FOUND),
        C(ERROR_OUT_OF_PAPER), C(ERROR_WRITE_FAULT), C(ERROR_READ_FAULT),
        C(ERROR_GEN_FAILURE), C(ERROR_SHARING_VIOLATION),
        C(ERROR_LOCK_VIOLATION), C(ERROR_SHARING_BUFFER_EXCEEDED),
        C(ERROR_HANDLE_EOF), C(ERROR_HANDLE_DISK_FULL), C(ERROR_NOT_SUPPORTED),
        C(ERROR_REM_NOT_LIST), C(ERROR_DUP_NAME), C(ERROR_BAD_NETPATH),
        C(ERROR_NETWORK_BUSY), C(ERROR_DEV_NOT_EXIST), C(ERROR_UNEXP_NET_ERR),
        C(ERROR_NETNAME_DELETED), C(ERROR_NETWORK_ACCESS_DENIED),
        C(ERROR_BAD_NET_NAME), C(ERROR_FILE_EXISTS), C(ERROR_CANNOT_MAKE),
        C(ERROR_INVALID_PARAMETER), C(ERROR_BROKEN_PIPE), C(ERROR_OPEN_FAILED),
        C(ERROR_BUFFER_OVERFLOW), C(ERROR_DISK_FULL),
        C(ERROR_CALL_NOT_IMPLEMENTED), C(ERROR_SEM_TIMEOUT),
        C(ERROR_INSUFFICIENT_BUFFER), C(ERROR_INVALID_NAME),
        C(ERROR_INVALID_LEVEL), C(ERROR_MOD_NOT_FOUND), C(ERROR_PROC_NOT_FOUND),
        C(ERROR_WAIT_NO_CHILDREN), C(ERROR_CHILD_NOT_COMPLETE),
        C(ERROR_NEGATIVE_SEEK), C(ERROR_SEEK_ON_DEVICE), C(ERROR_DIR_NOT_EMPTY),
        C(ERROR_PATH_BUSY), C(ERROR_INVALID_EVENT_COUNT), C(ERROR_NOT_LOCKED),
        C(ERROR_BAD_ARGUMENTS), C(ERROR_BAD_PATHNAME), C(ERROR_SIGNAL_PENDING),
        C(ERROR_MAX_THRDS_REACHED), C(ERROR_LOCK_FAILED), C(ERROR_BUSY),
        C(ERROR_CANCEL_VIOLATION), C(ERROR_ALREADY_EXISTS),
        C(ERROR_BAD_EXE_FORMAT), C(ERROR_ENVVAR_NOT_FOUND),
        C(ERROR_FILENAME_EXCED_RANGE), C(ERROR_FILE_TOO_LARGE),
        C(ERROR_PIPE_LOCAL), C(ERROR_BAD_PIPE), C(ERROR_PIPE_BUSY),
        C(ERROR_NO_DATA), C(ERROR_PIPE_NOT_CONNECTED), C(ERROR_MORE_DATA),
        C(ERROR_VC_DISCONNECTED), C(ERROR_INVALID_EA_NAME),
        C(ERROR_EA_LIST_INCONSISTENT), C(WAIT_TIMEOUT), C(ERROR_NO_MORE_ITEMS),
        C(ERROR_CANNOT_COPY), C(ERROR_DIRECTORY), C(ERROR_EAS_DIDNT_FIT),
        C(ERROR_EAS_NOT_SUPPORTED), C(ERROR_NOT_OWNER), C(ERROR_TOO_MANY_POSTS),
        C(ERROR_PARTIAL_COPY), C(ERROR_MR_MID_NOT_FOUND),
        C(ERROR_INVALID_ADDRESS), C(ERROR_ARITHMETIC_OVERFLOW),
        C(ERROR_PIPE_CONNECTED), C(ERROR_PIPE_LISTENING),
        C(ERROR_THREAD_NOT_IN_PROCESS), C(ERROR_OBJECT_NAME_EXISTS),
        C(ERROR_THREAD_WAS_SUSPENDED), C(ERROR_WAIT_1), C(ERROR_WAIT_2),
        C(ERROR_WAIT_3), C(ERROR_WAIT_63), C(ERROR_ABANDONED_WAIT_0),
        C(ERROR_ABANDONED_WAIT_63), C(ERROR_USER_APC), C(ERROR_KERNEL_APC),
        C(ERROR_ALERTED), C(ERROR_REPARSE), C(ERROR_OPERATION_ABORTED),
        C(ERROR_IO_INCOMPLETE), C(ERROR_IO_PENDING), C(ERROR_NOACCESS),
        C(ERROR_SWAPERROR), C(ERROR_STACK_OVERFLOW), C(ERROR_INVALID_MESSAGE),
        C(ERROR_CAN_NOT_COMPLETE), C(ERROR_INVALID_FLAGS),
        C(ERROR_FILE_INVALID), C(ERROR_NO_TOKEN),
        C(ERROR_SERVICE_REQUEST_TIMEOUT), C(ERROR_PROCESS_ABORTED),
        C(ERROR_IO_DEVICE), C(ERROR_DEVICE_NOT_CONNECTED), C(ERROR_NOT_FOUND),
        C(ERROR_CANCELLED), C(ERROR_CONNECTION_REFUSED),
        C(ERROR_CONNECTION_INVALID), C(ERROR_REQUEST_ABORTED),
        C(ERROR_CONNECTION_ABORTED), C(ERROR_NOT_ALL_ASSIGNED),
        C(ERROR_SOME_NOT_MAPPED), C(ERROR_INVALID_OWNER),
        C(ERROR_NO_IMPERSONATION_TOKEN), C(ERROR_NO_SUCH_LOGON_SESSION),
        C(ERROR_NO_SUCH_PRIVILEGE), C(ERROR_PRIVILEGE_NOT_HELD),
        C(ERROR_INVALID_ACL), C(ERROR_INVALID_SID),
        C(ERROR_INVALID_SECURITY_DESCR), C(ERROR_BAD_IMPERSONATION_LEVEL),
        C(ERROR_CANT_OPEN_ANONYMOUS), C(ERROR_BAD_TOKEN_TYPE),
        C(ERROR_NO_SECURITY_ON_OBJECT), C(ERROR_INTERNAL_ERROR),
        C(ERROR_CANNOT_IMPERSONATE), C(ERROR_INVALID_INDEX),
        C(ERROR_NO_SYSTEM_RESOURCES), C(ERROR_NONPAGED_SYSTEM_RESOURCES),
        C(ERROR_PAGED_SYSTEM_RESOURCES), C(ERROR_WORKING_SET_QUOTA),
        C(ERROR_PAGEFILE_QUOTA), C(ERROR_COMMITMENT_LIMIT), C(ERROR_TIMEOUT),
        C(ERROR_INVALID_USER_BUFFER), C(ERROR_NOT_ENOUGH_QUOTA),
        C(ERROR_INVALID_STATE),
        C(E_NOTIMPL), C(E_NOINTERFACE), C(E_POINTER), C(E_ABORT), C(E_FAIL),
        C(E_UNEXPECTED), C(E_ACCESSDENIED), C(E_HANDLE), C(E_OUTOFMEMORY),
        C(STRSAFE_E_END_OF_FILE), C(E_INVALIDARG),
        C(STRSAFE_E_INSUFFICIENT_BUFFER),
    };
#undef C
    (void)state;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *name = npipe_error_name(all[i].code);
        const char *message = npipe_error_message(all[i].code);
        if (name == NULL || strcmp(name, all[i].name) != 0 || message == NULL)
            print_error("%s (%u): name %s\n", all[i].name,
                        (unsigned)all[i].code, name ? name : "(null)");
        assert_non_null(name);
        assert_string_equal(name, all[i].name);
        assert_non_null(message);
        size_t len = strlen(message);
        assert_true(len > 0);
        assert_true(message[len - 1] != '\n' && message[len - 1] != '\r' &&
                    message[len - 1] != ' ');
    }
    /* aliases give the ERROR_ name */
    assert_string_equal(npipe_error_name(NO_ERROR), "ERROR_SUCCESS");
    assert_string_equal(npipe_error_name((DWORD)S_FALSE),
                        "ERROR_INVALID_FUNCTION");
}

static void test_error_text_unknown_and_hresult(void **state)
{
    (void)state;
    assert_null(npipe_error_name(35));
    assert_null(npipe_error_message(35));
    assert_null(npipe_error_name(99999));
    assert_null(npipe_error_message(99999));
    assert_null(npipe_error_name(0x80001234u));
    assert_null(npipe_error_message(0x80001234u));
    /* a wrapped Win32 error reads as the error itself ... */
    assert_string_equal(
        npipe_error_message((DWORD)HRESULT_FROM_WIN32(ERROR_PIPE_BUSY)),
        "All pipe instances are busy.");
    assert_string_equal(
        npipe_error_message((DWORD)HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE)),
        "The pipe has been ended.");
    /* ... but has no name of its own unless winerror.h gives one */
    assert_null(npipe_error_name((DWORD)HRESULT_FROM_WIN32(ERROR_PIPE_BUSY)));
    assert_string_equal(npipe_error_name((DWORD)E_INVALIDARG), "E_INVALIDARG");
    assert_string_equal(npipe_error_message((DWORD)E_FAIL), "Unspecified error");
    /* a wrapped code we have no text for */
    assert_null(npipe_error_message(0x80070023u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_table),
        cmocka_unit_test(test_other_mappings),
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_customer_bit),
        cmocka_unit_test(test_d_is_c),
        cmocka_unit_test(test_wrapped_win32),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_every_status_is_known),
        cmocka_unit_test(test_hresult_macros),
        cmocka_unit_test(test_pipe_error_text),
        cmocka_unit_test(test_every_error_has_text),
        cmocka_unit_test(test_error_text_unknown_and_hresult),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
