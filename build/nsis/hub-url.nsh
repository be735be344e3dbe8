; NSIS installer: `Konsilium-Setup.exe /S /HUB_URL=https://konsilium.hospital.local/`
; writes the hub address as machine policy (HKLM\Software\Policies\Konsilium hubUrl),
; the same value the MSI property HUB_URL and Group Policy set.
!include "FileFunc.nsh"

!macro customInstall
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/HUB_URL=" $R1
  ${IfNot} ${Errors}
  ${AndIf} $R1 != ""
    SetRegView 64
    WriteRegStr HKLM "Software\Policies\Konsilium" "hubUrl" "$R1"
  ${EndIf}
!macroend
