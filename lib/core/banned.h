/*
 * banned.h - libc calls that lib/ must not use (git's banned.h idea).
 * Included last by every lib/ source through the compiler's -include.
 */
#ifndef CS_CORE_BANNED_H
#define CS_CORE_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_cstore

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef alloca
#define alloca(x) BANNED(alloca)

#endif
