/* main.c - the loket command line: a table of sub-commands. */
#include <stdio.h>
int main(void) { puts("loket"); return 0; }
