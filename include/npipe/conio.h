/*
 * conio.h — the console input and output functions of Microsoft's C
 * runtime that Windows programs use to wait for a key.
 *
 * They work on descriptors 0 and 1 directly, not through stdio's buffers.
 * On a terminal _getch reads one key without waiting for Enter and without
 * echo; when input is not a terminal it reads the next byte.  At the end of
 * input _getch returns EOF (Windows' never ends, the console always has
 * more keys).
 */
#ifndef NPIPE_CONIO_H
#define NPIPE_CONIO_H

#ifdef __cplusplus
extern "C" {
#endif

int _getch(void);
int _getche(void); /* and echo it */
int _kbhit(void);  /* nonzero if input is waiting */
int _putch(int c);
int _cputs(const char *s);

#define getch _getch
#define getche _getche
#define kbhit _kbhit
#define putch _putch
#define cputs _cputs

#ifdef __cplusplus
}
#endif
#endif /* NPIPE_CONIO_H */
