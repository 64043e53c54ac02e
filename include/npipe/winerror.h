/*
 * winerror.h — Win32 error codes and the HRESULT helpers npipe uses.
 *
 * Every ERROR_* value below is the number Windows itself uses, so that a
 * program ported from Windows can compare GetLastError() against the usual
 * names (and print the usual numbers). Values are written in decimal with a
 * trailing L, the way Windows' own header spells them. The English message
 * text for each code lives in src/win32/errtext.c; keep the two in step.
 *
 * HRESULT is a 32-bit LONG (see windef.h); that is the only reason this
 * header includes windef.h.
 */
#ifndef NPIPE_WINERROR_H
#define NPIPE_WINERROR_H

#include "windef.h"

/* ------------------------------------------------------------------------
 * Win32 error codes (GetLastError values)
 * ------------------------------------------------------------------------ */

#define ERROR_SUCCESS                    0L
#define NO_ERROR                         0L
#define ERROR_INVALID_FUNCTION           1L
#define ERROR_FILE_NOT_FOUND             2L
#define ERROR_PATH_NOT_FOUND             3L
#define ERROR_TOO_MANY_OPEN_FILES        4L
#define ERROR_ACCESS_DENIED              5L
#define ERROR_INVALID_HANDLE             6L
#define ERROR_ARENA_TRASHED              7L
#define ERROR_NOT_ENOUGH_MEMORY          8L
#define ERROR_INVALID_BLOCK              9L
#define ERROR_BAD_ENVIRONMENT            10L
#define ERROR_BAD_FORMAT                 11L
#define ERROR_INVALID_ACCESS             12L
#define ERROR_INVALID_DATA               13L
#define ERROR_OUTOFMEMORY                14L
#define ERROR_INVALID_DRIVE              15L
#define ERROR_CURRENT_DIRECTORY          16L
#define ERROR_NOT_SAME_DEVICE            17L
#define ERROR_NO_MORE_FILES              18L
#define ERROR_WRITE_PROTECT              19L
#define ERROR_BAD_UNIT                   20L
#define ERROR_NOT_READY                  21L
#define ERROR_BAD_COMMAND                22L
#define ERROR_CRC                        23L
#define ERROR_BAD_LENGTH                 24L
#define ERROR_SEEK                       25L
#define ERROR_NOT_DOS_DISK               26L
#define ERROR_SECTOR_NOT_FOUND           27L
#define ERROR_OUT_OF_PAPER               28L
#define ERROR_WRITE_FAULT                29L
#define ERROR_READ_FAULT                 30L
#define ERROR_GEN_FAILURE                31L
#define ERROR_SHARING_VIOLATION          32L
#define ERROR_LOCK_VIOLATION             33L
#define ERROR_SHARING_BUFFER_EXCEEDED    36L
#define ERROR_HANDLE_EOF                 38L
#define ERROR_HANDLE_DISK_FULL           39L
#define ERROR_NOT_SUPPORTED              50L
#define ERROR_REM_NOT_LIST               51L
#define ERROR_DUP_NAME                   52L
#define ERROR_BAD_NETPATH                53L
#define ERROR_NETWORK_BUSY               54L
#define ERROR_DEV_NOT_EXIST              55L
#define ERROR_UNEXP_NET_ERR              59L
#define ERROR_NETNAME_DELETED            64L
#define ERROR_NETWORK_ACCESS_DENIED      65L
#define ERROR_BAD_NET_NAME               67L
#define ERROR_FILE_EXISTS                80L
#define ERROR_CANNOT_MAKE                82L
#define ERROR_INVALID_PARAMETER          87L
#define ERROR_BROKEN_PIPE                109L
#define ERROR_OPEN_FAILED                110L
#define ERROR_BUFFER_OVERFLOW            111L
#define ERROR_DISK_FULL                  112L
#define ERROR_CALL_NOT_IMPLEMENTED       120L
#define ERROR_SEM_TIMEOUT                121L
#define ERROR_INSUFFICIENT_BUFFER        122L
#define ERROR_INVALID_NAME               123L
#define ERROR_INVALID_LEVEL              124L
#define ERROR_MOD_NOT_FOUND              126L
#define ERROR_PROC_NOT_FOUND             127L
#define ERROR_WAIT_NO_CHILDREN           128L
#define ERROR_CHILD_NOT_COMPLETE         129L
#define ERROR_NEGATIVE_SEEK              131L
#define ERROR_SEEK_ON_DEVICE             132L
#define ERROR_DIR_NOT_EMPTY              145L
#define ERROR_PATH_BUSY                  148L
#define ERROR_INVALID_EVENT_COUNT        151L
#define ERROR_NOT_LOCKED                 158L
#define ERROR_BAD_ARGUMENTS              160L
#define ERROR_BAD_PATHNAME               161L
#define ERROR_SIGNAL_PENDING             162L
#define ERROR_MAX_THRDS_REACHED          164L
#define ERROR_LOCK_FAILED                167L
#define ERROR_BUSY                       170L
#define ERROR_CANCEL_VIOLATION           173L
#define ERROR_ALREADY_EXISTS             183L
#define ERROR_BAD_EXE_FORMAT             193L
#define ERROR_ENVVAR_NOT_FOUND           203L
#define ERROR_FILENAME_EXCED_RANGE       206L
#define ERROR_FILE_TOO_LARGE             223L
#define ERROR_PIPE_LOCAL                 229L
#define ERROR_BAD_PIPE                   230L
#define ERROR_PIPE_BUSY                  231L
#define ERROR_NO_DATA                    232L
#define ERROR_PIPE_NOT_CONNECTED         233L
#define ERROR_MORE_DATA                  234L
#define ERROR_VC_DISCONNECTED            240L
#define ERROR_INVALID_EA_NAME            254L
#define ERROR_EA_LIST_INCONSISTENT       255L
#define WAIT_TIMEOUT                     258L
#define ERROR_NO_MORE_ITEMS              259L
#define ERROR_CANNOT_COPY                266L
#define ERROR_DIRECTORY                  267L
#define ERROR_EAS_DIDNT_FIT              275L
#define ERROR_EAS_NOT_SUPPORTED          282L
#define ERROR_NOT_OWNER                  288L
#define ERROR_TOO_MANY_POSTS             298L
#define ERROR_PARTIAL_COPY               299L
#define ERROR_MR_MID_NOT_FOUND           317L
#define ERROR_INVALID_ADDRESS            487L
#define ERROR_ARITHMETIC_OVERFLOW        534L
#define ERROR_PIPE_CONNECTED             535L
#define ERROR_PIPE_LISTENING             536L
#define ERROR_THREAD_NOT_IN_PROCESS      566L
#define ERROR_OBJECT_NAME_EXISTS         698L
#define ERROR_THREAD_WAS_SUSPENDED       699L
#define ERROR_WAIT_1                     731L
#define ERROR_WAIT_2                     732L
#define ERROR_WAIT_3                     733L
#define ERROR_WAIT_63                    734L
#define ERROR_ABANDONED_WAIT_0           735L
#define ERROR_ABANDONED_WAIT_63          736L
#define ERROR_USER_APC                   737L
#define ERROR_KERNEL_APC                 738L
#define ERROR_ALERTED                    739L
#define ERROR_REPARSE                    741L
#define ERROR_OPERATION_ABORTED          995L
#define ERROR_IO_INCOMPLETE              996L
#define ERROR_IO_PENDING                 997L
#define ERROR_NOACCESS                   998L
#define ERROR_SWAPERROR                  999L
#define ERROR_STACK_OVERFLOW             1001L
#define ERROR_INVALID_MESSAGE            1002L
#define ERROR_CAN_NOT_COMPLETE           1003L
#define ERROR_INVALID_FLAGS              1004L
#define ERROR_FILE_INVALID               1006L
#define ERROR_NO_TOKEN                   1008L
#define ERROR_SERVICE_REQUEST_TIMEOUT    1053L
#define ERROR_PROCESS_ABORTED            1067L
#define ERROR_IO_DEVICE                  1117L
#define ERROR_DEVICE_NOT_CONNECTED       1167L
#define ERROR_NOT_FOUND                  1168L
#define ERROR_CANCELLED                  1223L
#define ERROR_CONNECTION_REFUSED         1225L
#define ERROR_CONNECTION_INVALID         1229L
#define ERROR_REQUEST_ABORTED            1235L
#define ERROR_CONNECTION_ABORTED         1236L
#define ERROR_NOT_ALL_ASSIGNED           1300L
#define ERROR_SOME_NOT_MAPPED            1301L
#define ERROR_INVALID_OWNER              1307L
#define ERROR_NO_IMPERSONATION_TOKEN     1309L
#define ERROR_NO_SUCH_LOGON_SESSION      1312L
#define ERROR_NO_SUCH_PRIVILEGE          1313L
#define ERROR_PRIVILEGE_NOT_HELD         1314L
#define ERROR_INVALID_ACL                1336L
#define ERROR_INVALID_SID                1337L
#define ERROR_INVALID_SECURITY_DESCR     1338L
#define ERROR_BAD_IMPERSONATION_LEVEL    1346L
#define ERROR_CANT_OPEN_ANONYMOUS        1347L
#define ERROR_BAD_TOKEN_TYPE             1349L
#define ERROR_NO_SECURITY_ON_OBJECT      1350L
#define ERROR_INTERNAL_ERROR             1359L
#define ERROR_CANNOT_IMPERSONATE         1368L
#define ERROR_INVALID_INDEX              1413L
#define ERROR_NO_SYSTEM_RESOURCES        1450L
#define ERROR_NONPAGED_SYSTEM_RESOURCES  1451L
#define ERROR_PAGED_SYSTEM_RESOURCES     1452L
#define ERROR_WORKING_SET_QUOTA          1453L
#define ERROR_PAGEFILE_QUOTA             1454L
#define ERROR_COMMITMENT_LIMIT           1455L
#define ERROR_TIMEOUT                    1460L
#define ERROR_INVALID_USER_BUFFER        1784L
#define ERROR_NOT_ENOUGH_QUOTA           1816L
#define ERROR_INVALID_STATE              5023L

/* ------------------------------------------------------------------------
 * HRESULT
 *
 * Layout: bit 31 severity (1 = failure), bits 16-26 facility, bits 0-15
 * code. A Win32 error e becomes 0x8007xxxx (FACILITY_WIN32).
 * ------------------------------------------------------------------------ */

#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR   1

#define FACILITY_NULL    0
#define FACILITY_RPC     1
#define FACILITY_DISPATCH 2
#define FACILITY_STORAGE 3
#define FACILITY_ITF     4
#define FACILITY_WIN32   7
#define FACILITY_WINDOWS 8

#define SUCCEEDED(hr)        (((HRESULT)(hr)) >= 0)
#define FAILED(hr)           (((HRESULT)(hr)) < 0)
#define IS_ERROR(hr)         (((ULONG)(hr)) >> 31 == SEVERITY_ERROR)

#define HRESULT_CODE(hr)     ((hr) & 0xFFFF)
#define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1FFF)
#define HRESULT_SEVERITY(hr) (((hr) >> 31) & 0x1)
#define SCODE_CODE(sc)       HRESULT_CODE(sc)
#define SCODE_FACILITY(sc)   HRESULT_FACILITY(sc)
#define SCODE_SEVERITY(sc)   HRESULT_SEVERITY(sc)

#define MAKE_HRESULT(sev, fac, code) \
    ((HRESULT)(((ULONG)(sev) << 31) | ((ULONG)(fac) << 16) | ((ULONG)(code))))
#define MAKE_SCODE(sev, fac, code) MAKE_HRESULT(sev, fac, code)

/*
 * HRESULT_FROM_WIN32: zero and values that are already negative (already
 * an HRESULT) pass through; any other value keeps its low 16 bits and is
 * tagged as a FACILITY_WIN32 failure. The result is a constant expression
 * when x is one, so it can be used in case labels and initialisers. Like
 * Windows' macro form it may evaluate x more than once.
 */
#define HRESULT_FROM_WIN32(x)                                                 \
    ((HRESULT)(x) <= 0                                                        \
         ? (HRESULT)(x)                                                       \
         : (HRESULT)((((ULONG)(x)) & 0x0000FFFFu) |                           \
                     ((ULONG)FACILITY_WIN32 << 16) | 0x80000000u))

#define S_OK           ((HRESULT)0L)
#define S_FALSE        ((HRESULT)1L)
#define E_UNEXPECTED   ((HRESULT)0x8000FFFFL)
#define E_NOTIMPL      ((HRESULT)0x80004001L)
#define E_NOINTERFACE  ((HRESULT)0x80004002L)
#define E_POINTER      ((HRESULT)0x80004003L)
#define E_ABORT        ((HRESULT)0x80004004L)
#define E_FAIL         ((HRESULT)0x80004005L)
#define E_ACCESSDENIED ((HRESULT)0x80070005L)
#define E_HANDLE       ((HRESULT)0x80070006L)
#define E_OUTOFMEMORY  ((HRESULT)0x8007000EL)
#define E_INVALIDARG   ((HRESULT)0x80070057L)

/* strsafe.h's error codes (HRESULT_FROM_WIN32 of the matching Win32 error) */
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL) /* 122 */
#define STRSAFE_E_INVALID_PARAMETER   ((HRESULT)0x80070057L) /* 87 */
#define STRSAFE_E_END_OF_FILE         ((HRESULT)0x80070026L) /* 38 */

#endif /* NPIPE_WINERROR_H */
