"""NANP area code -> every IANA time zone its territory touches.

Pure data. `phonenumbers` names one zone per area code for most of the NANP, so a number
whose area code straddles a zone line looked open when its other side was already in quiet
hours: +1 850 (Florida panhandle) is Central to the library, but Tallahassee keeps Eastern
time. phones.py takes the union of this table and the library's answer, and quiet_hours
keeps its rule: every zone of a number must be open (docs/domain.md).

Source, and how honest it is:
- NANPA's NPA database (the "TIME ZONE" column of its public NPA report) is the authority.
  It could not be fetched from the machine this table was built on (no network beyond
  package registries), so the table was compiled on 2026-12-05 from:
- the public area-code dataset in the GitHub repository krava07/select-numbers-external,
  file src/editor/modal/mapData/usAreaCodes.js at commit 7f11edfaeffa (each US area code
  with its list of zones; the multi-zone codes are the ones that matter here), with its
  abbreviations (EDT, CDT, MDT, PDT) named as the IANA zone phonenumbers 9.0.43 uses for
  the same code and offset;
- overlays the dataset predates carry their parent's zones (448 over 850, 986 over 208,
  357 over 559, 436 over 440, 457 over 318, 483 over 334, 624 over 716, 679 over 313,
  861 over 309, 924 over 507; the overlay complexes as NANPA lists them);
- three places the IANA tz database (zone1970.tab) describes: the Navajo Nation keeps
  daylight time inside Arizona's 928 (America/Denver), West Wendover, Nevada (775), keeps
  Mountain time, and Phenix City, Alabama (334), keeps Eastern time by local custom;
- Canada: area codes whose provinces straddle a line, as the tz database's Canadian zones
  describe them (807: Thunder Bay Eastern, Kenora Central, Atikokan standard time; 867: the
  three territories; 250 and its overlays: the Kootenays and the Peace River on Mountain
  time; 306 and overlays: Lloydminster on Alberta time; 418 and overlays: the Magdalen
  Islands and Blanc-Sablon on Atlantic time; 709 and 879: Labrador on Atlantic time).
An extra zone only ever narrows the window, so the table errs towards listing a zone.
Review it when NANPA announces a new area code (tests/delivery/test_area_code_zones.py
fails for a US code the state table knows and this one does not).
"""

from __future__ import annotations

# Zones (space-separated) -> area codes (space-separated). Keep each line sorted.
_CODES_BY_ZONES: dict[str, str] = {
    "America/Chicago": (
        "205 210 214 217 218 224 225 228 235 251 254 256 262 274 281 309 312 314 316 318 319"
        " 320 325 327 331 337 346 353 361 402 405 409 414 417 430 432 447 457 464 469 479 501"
        " 504 507 512 515 531 534 539 557 563 572 573 580 601 608 612 615 618 629 630 636 641"
        " 651 659 660 662 682 689 708 712 713 715 726 730 731 737 763 769 773 779 806 815 816"
        " 817 830 832 847 861 870 872 901 903 913 918 920 924 936 938 940 945 952 956 972 975"
        " 979 985"
    ),
    "America/Denver": "303 307 385 406 435 505 575 719 720 748 801 970 983",
    "America/Los_Angeles": (
        "206 209 213 253 279 310 323 341 350 357 360 369 408 415 424 425 442 503 509 510 530"
        " 559 562 564 619 626 628 650 657 661 669 702 707 714 725 738 747 760 805 818 820 831"
        " 840 858 909 916 925 949 951 971"
    ),
    "America/New_York": (
        "201 202 203 207 212 215 216 220 223 227 229 231 234 239 240 248 252 260 267 269 272"
        " 276 283 301 302 304 305 313 315 317 321 324 326 329 330 332 336 339 347 351 352 363"
        " 380 386 401 404 407 410 412 413 419 434 436 440 443 445 463 470 472 475 478 484 502"
        " 508 513 516 517 518 540 551 561 567 570 571 582 585 586 603 607 609 610 614 616 617"
        " 624 631 640 645 646 656 667 678 679 680 681 686 703 704 706 716 717 718 724 727 728"
        " 732 734 740 743 754 757 762 765 770 771 772 774 781 786 802 803 804 810 813 814 821"
        " 826 828 835 838 839 843 845 848 854 856 857 859 860 862 863 864 865 878 904 908 910"
        " 912 914 917 919 929 934 937 941 943 947 948 954 959 973 978 980 984 989"
    ),
    "America/Phoenix": "480 520 602 623",
    "America/Puerto_Rico": "787 939",
    "America/St_Thomas": "340",
    "Pacific/Guam": "671",
    "Pacific/Honolulu": "808",
    "Pacific/Pago_Pago": "684",
    "Pacific/Saipan": "670",
    "America/Adak America/Anchorage": "907",
    "America/Boise America/Los_Angeles": "208 986",
    "America/Chicago America/Denver": "308 620 701 785 915",
    "America/Chicago America/New_York": "219 270 334 364 423 448 483 574 606 812 850 906 930 931",
    "America/Denver America/Los_Angeles": "458 541 775",
    "America/Denver America/North_Dakota/Center": "605",
    "America/Denver America/Phoenix": "928",
    # Canada: only the area codes that straddle a zone line (the library knows the rest).
    "America/Atikokan America/Toronto America/Winnipeg": "807",
    "America/Cambridge_Bay America/Edmonton America/Iqaluit America/Rankin_Inlet"
    " America/Whitehorse": "867",
    "America/Creston America/Dawson_Creek America/Edmonton America/Fort_Nelson"
    " America/Vancouver": "236 250 672 778",
    "America/Edmonton America/Regina America/Swift_Current": "306 474 639",
    "America/Blanc-Sablon America/Halifax America/Toronto": "367 418 581",
    "America/Goose_Bay America/St_Johns": "709 879",
}

AREA_CODE_ZONES: dict[str, tuple[str, ...]] = {
    code: tuple(zones.split()) for zones, codes in _CODES_BY_ZONES.items()
    for code in codes.split()
}


def zones_for_area_code(area_code: str) -> tuple[str, ...]:
    """Every zone the area code's territory touches; empty for a code not in the table."""
    return AREA_CODE_ZONES.get(area_code, ())
