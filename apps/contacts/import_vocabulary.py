"""The words an import file uses: header names that suggest a field (English and Chinese) and the
spellings of sex. Plain data, read by apps.contacts.importing."""

from __future__ import annotations

VAR_FIELDS = tuple(f"var{i}" for i in range(1, 11))

# Header names (lower case) that suggest a field, in English and Chinese.
HEADER_SYNONYMS = {
    "address": {
        "email",
        "e-mail",
        "mail",
        "address",
        "email address",
        "e-mail address",
        "邮箱",
        "邮件",
        "邮件地址",
        "邮箱地址",
        "电子邮件",
        "電子郵件",
        "郵箱",
        "郵件地址",
    },
    "fullname": {
        "name",
        "full name",
        "fullname",
        "姓名",
        "名称",
        "名稱",
        "用户名",
        "用户名称",
        "客户",
        "联系人",
        "聯絡人",
        "first name",
    },
    "sex": {"sex", "gender", "性别", "性別"},
    "birthday": {"birthday", "birth date", "date of birth", "dob", "生日", "出生日期"},
    "phone": {"phone", "mobile", "tel", "telephone", "手机", "手機", "电话", "電話", "手机号"},
    "area": {"area", "region", "city", "location", "地区", "地區", "城市", "地址", "省份"},
}
HEADER_SYNONYMS.update(
    {v: {v, v.replace("var", "变量"), v.replace("var", "變量")} for v in VAR_FIELDS}
)

SEX_VALUES = {
    "m": "M", "male": "M", "man": "M", "男": "M", "先生": "M",
    "f": "F", "female": "F", "woman": "F", "女": "F", "女士": "F",
}  # fmt: skip
