"""Reference data shipped with the package (read at run time, never from outside it).

``bueng_kan_laos.csv``: the 58 Bueng Kan rows (province code 38) of DLA's open dataset
dlads_05_01 "ข้อมูล อปท." (กรมส่งเสริมการปกครองท้องถิ่น, November 2566), unchanged, with the
dataset's header: dla_code,type_th,name_th,province_code,province_th,district_th,lat,lon,area_km2.
"""

from importlib.resources import files

BUENG_KAN_LAOS = files(__name__) / "bueng_kan_laos.csv"
