/*
 * stats.c — npfs's counts for the broker's statistics (NP_OP_BROKER_STATS):
 * how many pipe names and instances exist.  Tests use them to check that a
 * crashed or killed client leaves nothing behind in the driver.
 */
#include "npfs/npfs.h"

VOID NpQueryCounters(PULONG Pipes, PULONG Instances)
{
    ULONG pipes = 0, instances = 0;
    if (NpVcb) {
        for (PLIST_ENTRY e = NpVcb->FcbList.Flink; e != &NpVcb->FcbList; e = e->Flink) {
            PNP_FCB fcb = CONTAINING_RECORD(e, NP_FCB, VcbLink);
            pipes++;
            instances += fcb->CurrentInstances;
        }
    }
    *Pipes = pipes;
    *Instances = instances;
}
