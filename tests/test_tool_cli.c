/*
 * test_tool_cli.c — the `npipe` command's conventions: --help (with
 * examples) for every subcommand, exit status 2 for usage errors, 1 for
 * failures with the Win32 error's name and message, and `npipe session`.
 */
#include "tool_helpers.h"

static const char *const commands[] = {"demo", "list",    "serve",  "connect",
                                       "call", "monitor", "session"};

static void test_help(void **state)
{
    (void)state;
    char *out, *err;
    TL_EQ(TH_RUN(NULL, &out, &err, "--help"), 0);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        TH_CONTAINS(out, commands[i]);
    TH_CONTAINS(out, "Examples:");
    TH_CONTAINS(out, "Exit status: 0 success, 1 failure, 2 usage error.");
    free(out);
    free(err);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char usage[64];
        snprintf(usage, sizeof usage, "Usage: npipe %s", commands[i]);
        TL_EQ(TH_RUN(NULL, &out, &err, (char *)commands[i], "--help"), 0);
        TH_CONTAINS(out, usage);
        TH_CONTAINS(out, "Examples:");
        TH_CONTAINS(out, "Exit status:");
        free(out);
        free(err);
        TL_EQ(TH_RUN(NULL, &out, &err, "help", (char *)commands[i]), 0);
        TH_CONTAINS(out, usage);
        free(out);
        free(err);
    }
}

static void test_usage_errors(void **state)
{
    (void)state;
    char *out, *err;
    TL_EQ(TH_RUN(NULL, &out, &err, "frobnicate"), 2);
    TH_CONTAINS(err, "unknown command 'frobnicate'");
    TH_CONTAINS(err, "Try 'npipe --help'.");
    free(out);
    free(err);
    TL_EQ(th_run(NULL, &out, &err, (char *const[]){(char *)th_npipe(), NULL}), 2);
    TH_CONTAINS(err, "Usage: npipe COMMAND");
    free(out);
    free(err);
    static const char *const bad[][3] = {
        {"list", "--frob", NULL},        {"serve", NULL, NULL},
        {"serve", "-e", NULL},           {"connect", NULL, NULL},
        {"connect", "-t", "soon"},       {"call", "x", NULL},
        {"monitor", "--count", "0"},     {"session", "not-a-pid", NULL},
        {"monitor", "a", "b"},           {"serve", "--instances", "300"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[5] = {(char *)th_npipe(), (char *)bad[i][0], (char *)bad[i][1],
                         (char *)bad[i][2], NULL};
        int rc = th_run(NULL, &out, &err, argv);
        TL_ASSERT_MSG(rc == 2, "npipe %s %s %s: exit %d, stderr %s", bad[i][0],
                      bad[i][1] ? bad[i][1] : "", bad[i][2] ? bad[i][2] : "", rc, err);
        char hint[64];
        snprintf(hint, sizeof hint, "Try 'npipe %s --help'.", bad[i][0]);
        TH_CONTAINS(err, hint);
        free(out);
        free(err);
    }
}

static void test_session(void **state)
{
    (void)state;
    char *out, *err, pid[32], expect[64];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    TL_EQ(TH_RUN(NULL, &out, &err, "session", "--number", pid), 0);
    snprintf(expect, sizeof expect, "%lu\n", (unsigned long)session);
    TL_ASSERT_MSG(!strcmp(out, expect), "got %s", out);
    free(out);
    free(err);
    TL_EQ(TH_RUN(NULL, &out, &err, "session"), 0);
    snprintf(expect, sizeof expect, "session %lu  (process ", (unsigned long)session);
    TH_CONTAINS(out, expect); /* a child: the same session */
    free(out);
    free(err);
    TL_EQ(TH_RUN(NULL, &out, &err, "session", "2147483646"), 1);
    TH_CONTAINS(err, "ProcessIdToSessionId(2147483646): ERROR_INVALID_PARAMETER (87): "
                     "The parameter is incorrect.");
    free(out);
    free(err);
}

/* Without a broker to reach: a failure that says so.  (A socket path too
 * long for an address fails at once; an unanswered one would make the
 * library try to start a broker for 5 s.) */
static void test_no_broker(void **state)
{
    (void)state;
    char *out, *err;
    char env[200];
    snprintf(env, sizeof env, "NPIPE_BROKER=/tmp/%0150d/broker", 0);
    struct th_proc p;
    th_start_env(&p, (char *const[]){(char *)th_npipe(), "list", NULL},
                 (char *const[]){env, "NPIPE_NPIPED=/bin/false", NULL});
    TL_EQ(th_finish(&p, &out, &err, 8000), 1);
    TH_CONTAINS(err, "npipe: list: opening \\\\.\\pipe\\: ERROR_PATH_NOT_FOUND (3)");
    TH_CONTAINS(err, "no npipe broker answered");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_help),
        TL_TEST(test_usage_errors),
        TL_TEST(test_session),
        TL_TEST(test_no_broker),
    };
    return TL_RUN(tests);
}
