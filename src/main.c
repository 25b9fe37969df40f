/* main.c - placeholder while the engine modules land (replaced in this session). */
#include <stdio.h>
int main(void) { puts("loket"); return 0; }
