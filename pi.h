/* pi.h - the personalities pi.c's table names that have no header of their own. */
#ifndef PI_H
#define PI_H

int wrapper_main(int argc, char **argv);
int runner_main(int argc, char **argv);
int mergecmd_main(int argc, char **argv);
#endif
