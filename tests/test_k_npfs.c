/*
 * test_k_npfs.c — the npfs driver's state machine and data queues,
 * driven in-process with IRPs through IoCallDriver, as the I/O manager
 * drives it.  (The same behaviour is tested end to end, through real
 * processes and the Win32 API, in the other tests.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/io.h"
#include "npfs/npfs.h"

static PDEVICE_OBJECT npfs;
static PEPROCESS self;
static PETHREAD me;

static int setup(void **state)
{
    (void)state;
    ps_init();
    if (!NT_SUCCESS(io_load_driver(NpDriverEntry, "\\Device\\NamedPipe")))
        return -1;
    static const WCHAR root[] = u"\\Device\\NamedPipe\\x";
    UNICODE_STRING rest;
    if (!NT_SUCCESS(ob_parse_name(root, sizeof root - 2, &npfs, &rest)))
        return -1;
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (!NT_SUCCESS(ps_create_process(getpid(), getuid(), getgid(), pidfd, &self)))
        return -1;
    me = ps_create_thread(self, NULL);
    return me ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ps_shutdown();
    io_unload_drivers();
    return 0;
}

static IO_FILE *new_file(const char *name)
{
    IO_FILE *f = calloc(1, sizeof *f);
    ob_init_object(&f->header, &io_file_type);
    f->fo.DeviceObject = npfs;
    size_t n = strlen(name);
    f->name_buffer = calloc(n + 1, sizeof(WCHAR));
    for (size_t i = 0; i < n; i++)
        f->name_buffer[i] = (WCHAR)name[i];
    f->fo.FileName = (UNICODE_STRING){(USHORT)(n * 2), (USHORT)(n * 2), f->name_buffer};
    return f;
}

/* An IRP from our thread; the caller fills the stack location. */
static PIRP new_irp(IO_FILE *f, UCHAR major)
{
    PIRP irp = IoAllocateIrp(1, FALSE);
    IO_IRP *x = io_irp(irp);
    x->refs++; /* keep it for inspection after completion */
    irp->Tail.Overlay.Thread = me;
    irp->Tail.Overlay.OriginalFileObject = &f->fo;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->MajorFunction = major;
    sp->FileObject = &f->fo;
    return irp;
}

static NTSTATUS done_status(PIRP irp)
{
    return io_irp(irp)->completed ? irp->IoStatus.Status : STATUS_PENDING;
}

static NTSTATUS call_and_free(PIRP irp)
{
    IoCallDriver(npfs, irp);
    NTSTATUS s = done_status(irp);
    assert_int_not_equal(s, STATUS_PENDING);
    IoFreeIrp(irp);
    return s;
}

static IO_FILE *create_server(const char *name, ULONG max, ULONG quota, NTSTATUS *status)
{
    IO_FILE *f = new_file(name);
    PIRP irp = new_irp(f, IRP_MJ_CREATE_NAMED_PIPE);
    NAMED_PIPE_CREATE_PARAMETERS p = {
        .NamedPipeType = FILE_PIPE_MESSAGE_TYPE, .ReadMode = FILE_PIPE_MESSAGE_MODE,
        .MaximumInstances = max, .InboundQuota = quota, .OutboundQuota = quota,
        .DefaultTimeout.QuadPart = -500000, .TimeoutSpecified = TRUE};
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->Parameters.CreatePipe.Options = FILE_OPEN_IF << 24;
    sp->Parameters.CreatePipe.ShareAccess = 3;
    sp->Parameters.CreatePipe.Parameters = &p;
    *status = call_and_free(irp);
    return f;
}

static IO_FILE *open_client(const char *name, NTSTATUS *status)
{
    IO_FILE *f = new_file(name);
    PIRP irp = new_irp(f, IRP_MJ_CREATE);
    IO_SECURITY_CONTEXT sc = {.DesiredAccess = 0x3};
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->Parameters.Create.Options = FILE_OPEN << 24;
    sp->Parameters.Create.SecurityContext = &sc;
    *status = call_and_free(irp);
    return f;
}

static PIRP fsctl(IO_FILE *f, ULONG code, void *buf, ULONG in, ULONG out)
{
    PIRP irp = new_irp(f, IRP_MJ_FILE_SYSTEM_CONTROL);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->Parameters.FileSystemControl.FsControlCode = code;
    sp->Parameters.FileSystemControl.InputBufferLength = in;
    sp->Parameters.FileSystemControl.OutputBufferLength = out;
    irp->AssociatedIrp.SystemBuffer = buf;
    IoCallDriver(npfs, irp);
    return irp;
}

static NTSTATUS fsctl_now(IO_FILE *f, ULONG code)
{
    PIRP irp = fsctl(f, code, NULL, 0, 0);
    NTSTATUS s = done_status(irp);
    if (s != STATUS_PENDING)
        IoFreeIrp(irp);
    return s;
}

static ULONG state_of(IO_FILE *f)
{
    FILE_PIPE_LOCAL_INFORMATION info;
    PIRP irp = new_irp(f, IRP_MJ_QUERY_INFORMATION);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->Parameters.QueryFile.Length = sizeof info;
    sp->Parameters.QueryFile.FileInformationClass = FilePipeLocalInformation;
    irp->AssociatedIrp.SystemBuffer = &info;
    assert_int_equal(call_and_free(irp), STATUS_SUCCESS);
    return info.NamedPipeState;
}

static void close_file(IO_FILE *f)
{
    PIRP irp = new_irp(f, IRP_MJ_CLEANUP);
    call_and_free(irp);
    f->fo.DeviceObject = NULL; /* no close IRP needed */
    ob_dereference_object(&f->header);
}

static ULONG attribute(IO_FILE *f, const char *name, NTSTATUS *status)
{
    char buf[32] = {0};
    strcpy(buf, name);
    PIRP irp = fsctl(f, FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE, buf,
                     (ULONG)strlen(name) + 1, sizeof(ULONG));
    *status = done_status(irp);
    IoFreeIrp(irp);
    ULONG v;
    memcpy(&v, buf, sizeof v);
    return v;
}

static void states_follow_windows(void **state)
{
    (void)state;
    NTSTATUS s;
    IO_FILE *server = create_server("\\k-states", 1, 4096, &s);
    assert_int_equal(s, STATUS_SUCCESS);
    assert_int_equal(state_of(server), FILE_PIPE_LISTENING_STATE);

    PIRP listen = fsctl(server, FSCTL_PIPE_LISTEN, NULL, 0, 0);
    assert_int_equal(done_status(listen), STATUS_PENDING);

    IO_FILE *client = open_client("\\K-STATES", &s); /* names ignore case */
    assert_int_equal(s, STATUS_SUCCESS);
    assert_int_equal(done_status(listen), STATUS_SUCCESS); /* the client came */
    IoFreeIrp(listen);
    assert_int_equal(state_of(server), FILE_PIPE_CONNECTED_STATE);
    assert_int_equal(state_of(client), FILE_PIPE_CONNECTED_STATE);

    /* npfs recorded who is on each end from the create IRPs. */
    assert_int_equal(attribute(server, "ClientProcessId", &s), (ULONG)getpid());
    assert_int_equal(s, STATUS_SUCCESS);
    assert_int_equal(attribute(client, "ServerProcessId", &s), (ULONG)getpid());

    NTSTATUS second;
    IO_FILE *other = open_client("\\k-states", &second);
    assert_int_equal(second, STATUS_PIPE_NOT_AVAILABLE);
    ob_dereference_object(&other->header);

    assert_int_equal(fsctl_now(server, FSCTL_PIPE_LISTEN), STATUS_PIPE_CONNECTED);
    assert_int_equal(fsctl_now(client, FSCTL_PIPE_LISTEN), STATUS_ILLEGAL_FUNCTION);
    assert_int_equal(fsctl_now(client, FSCTL_PIPE_DISCONNECT), STATUS_ILLEGAL_FUNCTION);

    close_file(client);
    assert_int_equal(state_of(server), FILE_PIPE_CLOSING_STATE);
    assert_int_equal(fsctl_now(server, FSCTL_PIPE_LISTEN), STATUS_PIPE_CLOSING);
    assert_int_equal(fsctl_now(server, FSCTL_PIPE_DISCONNECT), STATUS_SUCCESS);
    assert_int_equal(state_of(server), FILE_PIPE_DISCONNECTED_STATE);
    attribute(server, "ClientProcessId", &s);
    assert_int_equal(s, STATUS_NOT_FOUND);
    assert_int_equal(fsctl_now(server, FSCTL_PIPE_DISCONNECT), STATUS_PIPE_DISCONNECTED);

    listen = fsctl(server, FSCTL_PIPE_LISTEN, NULL, 0, 0);
    assert_int_equal(done_status(listen), STATUS_PENDING);
    assert_int_equal(state_of(server), FILE_PIPE_LISTENING_STATE);
    close_file(server); /* the pending listen ends with the instance */
    assert_int_equal(done_status(listen), STATUS_PIPE_BROKEN);
    IoFreeIrp(listen);
    assert_int_equal(NpVcb->PipeCount, 0);
}

static PIRP rw(IO_FILE *f, UCHAR major, void *buf, ULONG len)
{
    PIRP irp = new_irp(f, major);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->Parameters.Read.Length = len; /* same layout for Write */
    irp->AssociatedIrp.SystemBuffer = buf;
    IoCallDriver(npfs, irp);
    return irp;
}

static void quota_stalls_and_cancel_takes_bytes_back(void **state)
{
    (void)state;
    NTSTATUS s;
    IO_FILE *server = create_server("\\k-quota", 1, 8, &s);
    IO_FILE *client = open_client("\\k-quota", &s);
    assert_int_equal(s, STATUS_SUCCESS);

    /* 5 bytes fit the 8-byte quota; the next 5 do not: the write waits,
     * its bytes already visible to the reader. */
    PIRP w1 = rw(server, IRP_MJ_WRITE, "hello", 5);
    assert_int_equal(done_status(w1), STATUS_SUCCESS);
    PIRP w2 = rw(server, IRP_MJ_WRITE, "world", 5);
    assert_int_equal(done_status(w2), STATUS_PENDING);
    PNP_CCB ccb = server->fo.FsContext;
    assert_int_equal(NpDataQueueReadable(&ccb->DataQueue[FILE_PIPE_OUTBOUND]), 10);

    /* Cancelling the stalled write removes its unread message. */
    IoCancelIrp(w2);
    assert_int_equal(done_status(w2), STATUS_CANCELLED);
    assert_int_equal(NpDataQueueReadable(&ccb->DataQueue[FILE_PIPE_OUTBOUND]), 5);

    /* A stalled write completes once the reader makes room. */
    PIRP w3 = rw(server, IRP_MJ_WRITE, "again", 5);
    assert_int_equal(done_status(w3), STATUS_PENDING);
    char buf[16];
    PIRP r = rw(client, IRP_MJ_READ, buf, sizeof buf);
    assert_int_equal(done_status(r), STATUS_SUCCESS);
    assert_int_equal(r->IoStatus.Information, 10); /* byte read mode: both */
    assert_memory_equal(buf, "helloagain", 10);
    assert_int_equal(done_status(w3), STATUS_SUCCESS);
    IoFreeIrp(w1);
    IoFreeIrp(w2);
    IoFreeIrp(w3);
    IoFreeIrp(r);
    close_file(client);
    close_file(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(states_follow_windows),
        cmocka_unit_test(quota_stalls_and_cancel_takes_bytes_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
