/*
 * file.c — file objects, and the cleanup and close IRPs they end with.
 *
 * When the last handle to a file object closes, the driver gets
 * IRP_MJ_CLEANUP (for a pipe end: the other end sees it close, pending I/O
 * on it is finished); when the last reference goes — pending IRPs hold
 * references too — it gets IRP_MJ_CLOSE and the object is freed.  Both are
 * IRPs the broker builds for itself, so they have no requesting thread.
 */
#include "io/io.h"

#include <stdlib.h>

static void io_send_simple_irp(IO_FILE *file, UCHAR major, bool hold)
{
    PDEVICE_OBJECT device = file->fo.DeviceObject;
    PIRP irp = IoAllocateIrp(1, FALSE);
    if (!irp)
        abort(); /* cannot leave a driver's state half torn down */
    IO_IRP *x = io_irp(irp);
    if (hold) { /* cleanup: the file lives on until the IRP is done */
        x->file = file;
        ob_reference_object(&file->header);
    }
    irp->Tail.Overlay.OriginalFileObject = &file->fo;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->MajorFunction = major;
    sp->FileObject = &file->fo;
    IoCallDriver(device, irp);
}

static void io_file_last_handle_closed(OB_HEADER *object, PEPROCESS process)
{
    (void)process;
    IO_FILE *file = CONTAINING_RECORD(object, IO_FILE, header);
    io_send_simple_irp(file, IRP_MJ_CLEANUP, true);
}

static void io_file_delete(OB_HEADER *object)
{
    IO_FILE *file = CONTAINING_RECORD(object, IO_FILE, header);
    if (file->port)
        ob_dereference_object(file->port);
    /* The object is dying: IRP_MJ_CLOSE must not take a reference. */
    if (file->fo.DeviceObject)
        io_send_simple_irp(file, IRP_MJ_CLOSE, false);
    free(file->name_buffer);
    free(file);
}

static PKE_DISPATCHER io_file_dispatcher(OB_HEADER *object)
{
    return &CONTAINING_RECORD(object, IO_FILE, header)->event;
}

const OB_TYPE io_file_type = {
    .name = "File",
    .dispatcher = io_file_dispatcher,
    .last_handle_closed = io_file_last_handle_closed,
    .delete_object = io_file_delete,
};
