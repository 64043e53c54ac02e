/*
 * test_pipe_state.c — what the pipe says about itself: GetNamedPipeInfo,
 * GetNamedPipeHandleState, and the native information classes
 * FilePipeLocalInformation / FilePipeInformation through the states
 * listening -> connected -> closing -> disconnected -> listening.
 *
 * Windows behaviour checked here (Wine's dlls/kernel32/tests/pipe.c, run on
 * Windows: test_GetNamedPipeInfo, test_CreatePipe, test_NamedPipeHandleState;
 * Wine's dlls/ntdll/tests/pipe.c: test_filepipeinfo; Microsoft Learn,
 * FILE_PIPE_LOCAL_INFORMATION; the NT state values 1..4):
 *  - GetNamedPipeInfo reports the end, the type, the two buffer sizes as
 *    given to CreateNamedPipe and the instance limit, on both ends;
 *  - the states and counters of FilePipeLocalInformation follow the
 *    connection, on both ends; a disconnected client's queries fail with
 *    STATUS_PIPE_DISCONNECTED;
 *  - FilePipeInformation holds each end's read mode and completion mode;
 *    setting message mode on a byte pipe, or values above 1, is
 *    STATUS_INVALID_PARAMETER.
 */
#include "testlib.h"

#include <npipe/winternl.h>
#include <string.h>
#include <unistd.h>

static void expect_info(HANDLE h, DWORD flags, DWORD out, DWORD in, DWORD max)
{
    DWORD f = 0xdeadbeef, o = 0xdeadbeef, i = 0xdeadbeef, m = 0xdeadbeef;
    TL_OK(GetNamedPipeInfo(h, &f, &o, &i, &m));
    TL_EQ(f, flags);
    TL_EQ(o, out);
    TL_EQ(i, in);
    TL_EQ(m, max);
}

static void test_get_named_pipe_info(void **state)
{
    const char *name = tl_pipe_name("info");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT,
                         1, 1024, 1024);
    expect_info(s, PIPE_SERVER_END | PIPE_TYPE_BYTE, 1024, 1024, 1);
    TL_OK(CloseHandle(s));

    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_NOWAIT, 3,
                  1024, 1024);
    expect_info(s, PIPE_SERVER_END | PIPE_TYPE_MESSAGE, 1024, 1024, 3);
    TL_OK(CloseHandle(s));

    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 1, 0, 0);
    expect_info(s, PIPE_SERVER_END | PIPE_TYPE_MESSAGE, 0, 0, 1);
    TL_OK(CloseHandle(s));

    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 1, 0xf000,
                  0xf000);
    expect_info(s, PIPE_SERVER_END | PIPE_TYPE_MESSAGE, 0xf000, 0xf000, 1);
    TL_OK(CloseHandle(s));

    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                  PIPE_UNLIMITED_INSTANCES, 1024, 1024);
    expect_info(s, PIPE_SERVER_END, 1024, 1024, PIPE_UNLIMITED_INSTANCES);
    TL_OK(CloseHandle(s));

    /* Different sizes in each direction; the client end sees the pipe's
     * sizes as they are (outbound is still the server's outbound). */
    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 2, 3000, 5000);
    expect_info(s, PIPE_SERVER_END | PIPE_TYPE_MESSAGE, 3000, 5000, 2);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    expect_info(h, PIPE_CLIENT_END | PIPE_TYPE_MESSAGE, 3000, 5000, 2);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

static void test_handle_state_instances(void **state)
{
    const char *name = tl_pipe_name("hstate");
    HANDLE s[3];
    for (int i = 0; i < 3; i++)
        s[i] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 5, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    DWORD st = 0xdeadbeef, inst = 0xdeadbeef;
    TL_OK(GetNamedPipeHandleStateA(s[0], &st, &inst, NULL, NULL, NULL, 0));
    TL_EQ(st, 0);
    TL_EQ(inst, 3);
    TL_OK(GetNamedPipeHandleStateW(h, &st, &inst, NULL, NULL, NULL, 0));
    TL_EQ(st, 0);
    TL_EQ(inst, 3);
    TL_OK(CloseHandle(s[2]));
    TL_OK(GetNamedPipeHandleStateA(h, NULL, &inst, NULL, NULL, NULL, 0));
    TL_EQ(inst, 2);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s[1]));
    TL_OK(CloseHandle(s[0]));
}

/* ---- FilePipeLocalInformation through the states -------------------------------- */

static void query_local(HANDLE h, FILE_PIPE_LOCAL_INFORMATION *info)
{
    IO_STATUS_BLOCK iosb;
    memset(info, 0xcc, sizeof *info);
    memset(&iosb, 0xcc, sizeof iosb);
    NTSTATUS st = NtQueryInformationFile(h, &iosb, info, sizeof *info,
                                         FilePipeLocalInformation);
    TL_ASSERT_MSG(st == STATUS_SUCCESS,
                  "FilePipeLocalInformation: status 0x%08x", (unsigned)st);
    TL_EQ(iosb.Status, STATUS_SUCCESS);
    TL_EQ(iosb.Information, sizeof *info);
}

struct ctx {
    const char *name;
    tl_rdv r;
};

static int state_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    FILE_PIPE_LOCAL_INFORMATION li;
    query_local(h, &li);
    TL_EQ(li.NamedPipeState, FILE_PIPE_CONNECTED_STATE);
    TL_EQ(li.NamedPipeEnd, FILE_PIPE_CLIENT_END);
    TL_EQ(li.NamedPipeType, FILE_PIPE_MESSAGE_TYPE);
    TL_EQ(li.NamedPipeConfiguration, FILE_PIPE_FULL_DUPLEX);
    TL_EQ(li.MaximumInstances, 4);
    TL_EQ(li.CurrentInstances, 1);
    TL_EQ(li.InboundQuota, 2048);
    TL_EQ(li.OutboundQuota, 1024);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2); /* the server wrote 100 bytes */
    query_local(h, &li);
    TL_EQ(li.ReadDataAvailable, 100);
    TL_OK(CloseHandle(h));
    tl_signal(&c->r, 3);
    return 0;
}

static void test_local_information_states(void **state)
{
    struct ctx c = {.name = tl_pipe_name("local")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 4, 1024,
                         2048);
    FILE_PIPE_LOCAL_INFORMATION li;
    query_local(s, &li);
    TL_EQ(li.NamedPipeState, FILE_PIPE_LISTENING_STATE);
    TL_EQ(li.NamedPipeEnd, FILE_PIPE_SERVER_END);
    TL_EQ(li.NamedPipeType, FILE_PIPE_MESSAGE_TYPE);
    TL_EQ(li.NamedPipeConfiguration, FILE_PIPE_FULL_DUPLEX);
    TL_EQ(li.MaximumInstances, 4);
    TL_EQ(li.CurrentInstances, 1);
    TL_EQ(li.InboundQuota, 2048);
    TL_EQ(li.OutboundQuota, 1024);
    TL_EQ(li.ReadDataAvailable, 0);
    TL_EQ(li.WriteQuotaAvailable, 1024);

    pid_t pid = tl_spawn(state_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    query_local(s, &li);
    TL_EQ(li.NamedPipeState, FILE_PIPE_CONNECTED_STATE);
    char buf[100];
    memset(buf, 'q', sizeof buf);
    tl_write(s, buf, sizeof buf);
    query_local(s, &li);
    TL_EQ(li.WriteQuotaAvailable, 1024 - 100);
    tl_signal(&c.r, 2);
    tl_expect_signal(&c.r, 3); /* the client read nothing and closed */
    tl_join(pid);
    query_local(s, &li);
    TL_EQ(li.NamedPipeState, FILE_PIPE_CLOSING_STATE);
    TL_OK(DisconnectNamedPipe(s));
    query_local(s, &li);
    TL_EQ(li.NamedPipeState, FILE_PIPE_DISCONNECTED_STATE);
    /* Disconnect dropped the unread data: the whole quota is free again. */
    TL_EQ(li.WriteQuotaAvailable, 1024);
    TL_EQ(li.ReadDataAvailable, 0);
    /* Listening again (nowait, so that we can look). */
    DWORD mode = PIPE_READMODE_MESSAGE | PIPE_NOWAIT;
    TL_OK(SetNamedPipeHandleState(s, &mode, NULL, NULL));
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_LISTENING);
    query_local(s, &li);
    TL_EQ(li.NamedPipeState, FILE_PIPE_LISTENING_STATE);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static void test_local_information_configuration(void **state)
{
    static const struct {
        DWORD open_mode;
        ULONG config;
    } cases[] = {
        {PIPE_ACCESS_INBOUND, FILE_PIPE_INBOUND},
        {PIPE_ACCESS_OUTBOUND, FILE_PIPE_OUTBOUND},
        {PIPE_ACCESS_DUPLEX, FILE_PIPE_FULL_DUPLEX},
    };
    for (size_t i = 0; i < 3; i++) {
        const char *name = tl_pipe_name("config");
        HANDLE s = tl_server(name, cases[i].open_mode, PIPE_TYPE_BYTE, 1, 512,
                             512);
        FILE_PIPE_LOCAL_INFORMATION li;
        if (cases[i].open_mode == PIPE_ACCESS_OUTBOUND) {
            /* An outbound server handle has FILE_WRITE_ATTRIBUTES but not
             * FILE_READ_ATTRIBUTES, which Windows requires for this class:
             * access denied is as right as an answer. */
            IO_STATUS_BLOCK iosb;
            NTSTATUS st = NtQueryInformationFile(s, &iosb, &li, sizeof li,
                                                 FilePipeLocalInformation);
            if (st == STATUS_ACCESS_DENIED) {
                TL_OK(CloseHandle(s));
                continue;
            }
            TL_EQ((ULONG)st, STATUS_SUCCESS);
        } else {
            query_local(s, &li);
        }
        TL_EQ(li.NamedPipeConfiguration, cases[i].config);
        TL_EQ(li.NamedPipeType, FILE_PIPE_BYTE_STREAM_TYPE);
        TL_OK(CloseHandle(s));
    }
}

static void test_disconnected_client_queries(void **state)
{
    const char *name = tl_pipe_name("discq");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(DisconnectNamedPipe(s));
    FILE_PIPE_LOCAL_INFORMATION li;
    IO_STATUS_BLOCK iosb;
    NTSTATUS st = NtQueryInformationFile(h, &iosb, &li, sizeof li,
                                         FilePipeLocalInformation);
    TL_EQ((ULONG)st, (ULONG)STATUS_PIPE_DISCONNECTED);
    DWORD flags;
    TL_FAILS(GetNamedPipeInfo(h, &flags, NULL, NULL, NULL),
             ERROR_PIPE_NOT_CONNECTED);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- FilePipeInformation ----------------------------------------------------------- */

static void test_pipe_information(void **state)
{
    const char *name = tl_pipe_name("pipeinfo");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 512,
                         512);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    FILE_PIPE_INFORMATION pi;
    IO_STATUS_BLOCK iosb;
    NTSTATUS st;

    st = NtQueryInformationFile(s, &iosb, &pi, sizeof pi, FilePipeInformation);
    TL_EQ((ULONG)st, STATUS_SUCCESS);
    TL_EQ(pi.ReadMode, FILE_PIPE_MESSAGE_MODE);
    TL_EQ(pi.CompletionMode, FILE_PIPE_QUEUE_OPERATION);
    st = NtQueryInformationFile(h, &iosb, &pi, sizeof pi, FilePipeInformation);
    TL_EQ((ULONG)st, STATUS_SUCCESS);
    TL_EQ(pi.ReadMode, FILE_PIPE_BYTE_STREAM_MODE);
    TL_EQ(pi.CompletionMode, FILE_PIPE_QUEUE_OPERATION);

    /* Set the client to message mode, nowait: GetNamedPipeHandleState
     * agrees. */
    pi.ReadMode = FILE_PIPE_MESSAGE_MODE;
    pi.CompletionMode = FILE_PIPE_COMPLETE_OPERATION;
    st = NtSetInformationFile(h, &iosb, &pi, sizeof pi, FilePipeInformation);
    TL_EQ((ULONG)st, STATUS_SUCCESS);
    DWORD state_ = 0;
    TL_OK(GetNamedPipeHandleStateA(h, &state_, NULL, NULL, NULL, NULL, 0));
    TL_EQ(state_, PIPE_READMODE_MESSAGE | PIPE_NOWAIT);

    /* Out-of-range values. */
    pi.ReadMode = 2;
    pi.CompletionMode = 0;
    st = NtSetInformationFile(h, &iosb, &pi, sizeof pi, FilePipeInformation);
    TL_EQ((ULONG)st, (ULONG)STATUS_INVALID_PARAMETER);
    pi.ReadMode = 0;
    pi.CompletionMode = 2;
    st = NtSetInformationFile(h, &iosb, &pi, sizeof pi, FilePipeInformation);
    TL_EQ((ULONG)st, (ULONG)STATUS_INVALID_PARAMETER);
    /* Too short a buffer. */
    st = NtQueryInformationFile(h, &iosb, &pi, sizeof pi - 1,
                                FilePipeInformation);
    TL_EQ((ULONG)st, (ULONG)STATUS_INFO_LENGTH_MISMATCH);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));

    /* A byte pipe refuses message mode. */
    name = tl_pipe_name("pipeinfo-byte");
    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512);
    pi.ReadMode = FILE_PIPE_MESSAGE_MODE;
    pi.CompletionMode = FILE_PIPE_QUEUE_OPERATION;
    st = NtSetInformationFile(s, &iosb, &pi, sizeof pi, FilePipeInformation);
    TL_EQ((ULONG)st, (ULONG)STATUS_INVALID_PARAMETER);
    TL_OK(CloseHandle(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_get_named_pipe_info),
        TL_TEST(test_handle_state_instances),
        TL_TEST(test_local_information_states),
        TL_TEST(test_local_information_configuration),
        TL_TEST(test_disconnected_client_queries),
        TL_TEST(test_pipe_information),
    };
    return TL_RUN(tests);
}
